import { execFileSync } from "node:child_process"
import * as fs from "node:fs"

interface ProcessInfo {
  readonly parent: number
  readonly zombie: boolean
}

const info = (pid: number): ProcessInfo | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { parent: Number(fields[1]), zombie: fields[0] === "Z" || fields[0] === "X" }
  } catch {
    try {
      const out = execFileSync("ps", ["-o", "ppid=,stat=", "-p", String(pid)], { encoding: "utf8" }).trim().split(/\s+/)
      return out.length < 2 ? undefined : { parent: Number(out[0]), zombie: out[1].startsWith("Z") }
    } catch {
      return undefined
    }
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
  return info(pid)?.zombie !== true
}

/** The chain of parent processes, nearest first, up to (not including) PID 1. */
export const ancestors = (): Array<number> => {
  const out: Array<number> = []
  let pid = process.ppid
  while (pid > 1 && out.length < 64 && !out.includes(pid)) {
    out.push(pid)
    const next = info(pid)?.parent
    if (next === undefined) break
    pid = next
  }
  return out
}

/**
 * Calls `onGone` once when any process that started this one ends (the parent, or a process further up such as the
 * one that ran `pnpm mock`, which a kill does not pass on to its children). Polls without keeping the process alive.
 */
export const watch = (onGone: (pid: number) => void, everyMs = 250): () => void => {
  const parent = process.ppid
  const watched = ancestors()
  const timer = setInterval(() => {
    const gone = process.ppid !== parent ? parent : watched.find((pid) => !alive(pid))
    if (gone !== undefined) {
      clearInterval(timer)
      onGone(gone)
    }
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
