import * as Duration from "effect/Duration"
import type * as Batch from "../Batch.js"

const group = (n: number): string => {
  const text = String(Math.round(n))
  return text.length <= 3 ? text : text.replace(/\B(?=(\d{3})+(?!\d))/g, " ")
}

const compact = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)}G`
    : n >= 1e6
    ? `${(n / 1e6).toFixed(1)}M`
    : n >= 1e4
    ? `${(n / 1e3).toFixed(1)}k`
    : String(Math.round(n))

export const formatDuration = (duration: Duration.Duration): string => {
  const seconds = Math.round(Duration.toSeconds(duration))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`
}

const counts = (p: Batch.Progress): string => {
  const parts = [`${group(p.succeeded)} ok`]
  if (p.failed > 0) parts.push(`${group(p.failed)} failed`)
  if (p.skipped > 0) parts.push(`${group(p.skipped)} skipped`)
  if (p.notDone > 0) parts.push(`${group(p.notDone)} not done`)
  parts.push(`${group(p.inFlight)} in flight`)
  if (p.retried > 0) parts.push(`${group(p.retried)} retried`)
  return parts.join(", ")
}

const usage = (p: Batch.Progress): string => {
  const tokens = `${compact(p.promptTokens + p.completionTokens)} tok`
  return p.credits > 0 ? `${tokens}, ${p.credits.toFixed(p.credits < 10 ? 4 : 2)} credits` : tokens
}

const timing = (p: Batch.Progress): string => {
  const rate = p.rate >= 10 ? p.rate.toFixed(0) : p.rate.toFixed(1)
  const left = p.finished
    ? `in ${formatDuration(p.elapsed)}`
    : p.eta === undefined
    ? ""
    : `eta ${formatDuration(p.eta)}`
  return [`${rate}/s`, left].filter((s) => s !== "").join(" ")
}

/** One line: `[#####.....]  52% 5 200/10 000 | 5 150 ok, 50 failed, 64 in flight | 1.2M tok | 85/s eta 56s`. */
export const render = (p: Batch.Progress, width: number): string => {
  const finished = p.done + p.notDone
  const of = p.total === undefined ? group(finished) : `${group(finished)}/${group(p.total)}`
  const fraction = p.total === undefined || p.total === 0 ? undefined : Math.min(1, finished / p.total)
  const text = [of, counts(p), usage(p), timing(p)].join(" | ")
  if (fraction === undefined) return text.slice(0, width)
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`
  const barWidth = Math.max(0, Math.min(30, width - text.length - percent.length - 4))
  const bar = barWidth < 5 ? "" : `[${"#".repeat(Math.round(fraction * barWidth)).padEnd(barWidth, ".")}] `
  return `${bar}${percent} ${text}`.slice(0, width)
}
