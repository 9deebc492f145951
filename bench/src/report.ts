/**
 * Summaries, targets and tables of a benchmark run, and the comparison of two runs' JSON files.
 */
import { median } from "./common.js"

/** One child process's JSON line (see variants.ts), plus `timeMaxRssMB` from `/usr/bin/time -v`. */
export interface Line {
  ok?: boolean
  error?: unknown
  chunksPerSec?: number
  meanMs?: number
  firstMs?: number
  MBps?: number
  maxRssMB?: number
  rps?: number
  growthMB?: number
  liveGrowthMB?: number
  sampledPeakRssMB?: number
  timeMaxRssMB?: number
  before?: { readonly maxRssMB: number; readonly rssMB: number }
  after?: { readonly maxRssMB: number; readonly rssMB: number }
  [key: string]: unknown
}

export interface Stat {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly values: ReadonlyArray<number>
}

export interface Series {
  readonly id: string
  readonly group: string
  readonly variant: string
  /** Processes that reported a result. */
  readonly ok: number
  readonly failed: number
  readonly errors: ReadonlyArray<string>
  readonly metrics: Readonly<Record<string, Stat>>
  readonly lines: ReadonlyArray<Line>
}

export interface Target {
  readonly name: string
  readonly measured: string
  readonly needs: string
  /** `null`: could not be evaluated (a variant is n/a or failed). */
  readonly pass: boolean | null
  readonly value: number | null
}

export interface Results {
  readonly when: string
  readonly node: string
  readonly platform: string
  readonly cpus: number
  readonly cpuModel: string
  readonly versions: Readonly<Record<string, string>>
  readonly quick: boolean
  readonly runs: number
  readonly wallS: number
  /** 1-minute load average at the start and the end of the run: other work on the machine skews the figures. */
  readonly loadAverage?: { readonly start: number; readonly end: number }
  readonly series: ReadonlyArray<Series>
  readonly targets: ReadonlyArray<Target>
}

const extractors: Record<string, (line: Line) => number | undefined> = {
  chunksPerSec: (l) => l.chunksPerSec,
  meanMs: (l) => l.meanMs,
  firstMs: (l) => l.firstMs,
  MBps: (l) => l.MBps,
  maxRssMB: (l) => l.maxRssMB,
  rps: (l) => l.rps,
  growthMB: (l) => l.growthMB,
  liveGrowthMB: (l) => l.liveGrowthMB,
  sampledPeakRssMB: (l) => l.sampledPeakRssMB,
  timeMaxRssMB: (l) => l.timeMaxRssMB,
  beforeMaxRssMB: (l) => l.before?.maxRssMB,
  afterMaxRssMB: (l) => l.after?.maxRssMB
}

export const summarize = (id: string, group: string, variant: string, lines: ReadonlyArray<Line>): Series => {
  const ok = lines.filter((l) => l.ok === true)
  const metrics: Record<string, Stat> = {}
  for (const [key, get] of Object.entries(extractors)) {
    const values = ok.map(get).filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    if (values.length > 0) {
      metrics[key] = { median: median(values), min: Math.min(...values), max: Math.max(...values), values }
    }
  }
  const errors = lines.filter((l) => l.ok !== true).map((l) => String(l.error).slice(0, 400))
  return {
    id,
    group,
    variant,
    ok: ok.length,
    failed: errors.length,
    errors,
    metrics,
    lines
  }
}

// ------------------------------------------------------------------------------------------------ formatting

const k = (x: number): string =>
  x >= 1e6
    ? `${(x / 1e6).toFixed(2)} M`
    : x >= 1e4
    ? `${(x / 1e3).toFixed(0)} k`
    : x >= 1e3
    ? `${(x / 1e3).toFixed(1)} k`
    : x.toFixed(0)
const ms = (x: number): string => x >= 100 ? x.toFixed(0) : x.toFixed(1)
const mb = (x: number): string => x.toFixed(0)
const times = (x: number | undefined): string => x === undefined ? "–" : `${x.toFixed(2)}×`
const spread = (s: Stat, f: (x: number) => string): string => s.values.length < 2 ? "" : `${f(s.min)} – ${f(s.max)}`

const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [head, ...rows]
  const widths = head.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)))
  const line = (r: ReadonlyArray<string>) =>
    "| " + r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join(" | ") + " |"
  return [line(head), "|" + widths.map((w, c) => c === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":").join("|") + "|"]
    .concat(rows.map(line)).join("\n")
}

const finder = (series: ReadonlyArray<Series>) => (id: string, metric: string): number | undefined =>
  series.find((s) => s.id === id)?.metrics[metric]?.median

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b

const statusCell = (s: Series | undefined): string | undefined =>
  s !== undefined && s.ok === 0 ? `FAILED (${s.failed})` : undefined

// ------------------------------------------------------------------------------------------------ targets

export const targets = (series: ReadonlyArray<Series>): Array<Target> => {
  const m = finder(series)
  const out: Array<Target> = []
  const atLeast = (name: string, value: number | undefined, min: number, measured?: string) =>
    out.push({
      name,
      value: value ?? null,
      measured: value === undefined ? "n/a" : (measured ?? times(value)),
      needs: `>= ${min}×`,
      pass: value === undefined ? null : value >= min
    })
  const atMost = (name: string, value: number | undefined, max: number, measured: string, needs: string) =>
    out.push({
      name,
      value: value ?? null,
      measured: value === undefined ? "n/a" : measured,
      needs,
      pass: value === undefined ? null : value <= max
    })

  const cps = (id: string) => m(id, "chunksPerSec")
  const floor20k = cps("stream20k:raw-floor")
  const openai20k = cps("stream20k:openai-create")
  for (const v of ["nexos-client-stream", "nexos-client-stream-undici", "nexos-events"]) {
    const label = v === "nexos-events"
      ? "events layer"
      : v === "nexos-client-stream"
      ? "client stream"
      : "client stream (layerUndici)"
    atLeast(`${label} (20k burst) vs raw floor`, ratio(cps(`stream20k:${v}`), floor20k), 0.6)
    atLeast(`${label} (20k burst) vs openai create() iteration`, ratio(cps(`stream20k:${v}`), openai20k), 1.7)
  }
  atLeast("decodeSse (20k burst) vs raw floor", ratio(cps("stream20k:nexos-decodeSse"), floor20k), 0.8)
  atLeast("accumulate (20k burst) vs raw floor", ratio(cps("stream20k:nexos-accumulate"), floor20k), 0.55)
  atLeast(
    "create(), sequential, vs undici.request",
    ratio(m("plain-c1:nexos-create", "rps"), m("plain-c1:raw-undici", "rps")),
    0.6
  )
  atLeast(
    "create(), 16 in flight, vs undici.request",
    ratio(m("plain-c16:nexos-create", "rps"), m("plain-c16:raw-undici", "rps")),
    0.6
  )
  atLeast(
    "10k create() at concurrency 64 vs undici.request",
    ratio(m("plain-c64:nexos-create", "rps"), m("plain-c64:raw-undici", "rps")),
    0.8
  )

  for (
    const [g, label, min] of [["plain-c1", "sequential", 0.55], ["plain-c16", "16 in flight", 0.5], [
      "plain-c64",
      "64 in flight",
      0.45
    ]] as const
  ) {
    const rps = m(`${g}:nexos-create-undici`, "rps")
    atLeast(`create() on layerUndici, ${label}, vs undici.request`, ratio(rps, m(`${g}:raw-undici`, "rps")), min)
    atLeast(`create() on layerUndici, ${label}, vs openai create()`, ratio(rps, m(`${g}:openai`, "rps")), 2)
  }
  atLeast(
    "10k Batch.run at concurrency 64 vs 10k create() calls with Effect.forEach at 64",
    ratio(m("plain-c64:nexos-batch", "rps"), m("plain-c64:nexos-create-calls", "rps")),
    0.9
  )
  const b10 = m("batchmem10k:nexos-batch", "liveGrowthMB")
  const b100 = m("batchmem100k:nexos-batch", "liveGrowthMB")
  const keySet = (requests: number) => (requests * 64) / 1048576
  const br = b10 === undefined || b100 === undefined
    ? undefined
    : (b100 - keySet(100_000)) / Math.max(b10 - keySet(10_000), 8)
  atMost(
    "memory: Batch.run live memory beyond its key set (64 B/key), 100k vs 10k requests (floor 8 MB)",
    br,
    1.1,
    br === undefined ? "" : `${mb(b100!)} MB vs ${mb(b10!)} MB`,
    "<= 1.10× (+10%)"
  )

  for (const v of ["nexos-decodeSse", "nexos-events", "nexos-accumulate", "nexos-client-stream"]) {
    const t20 = m(`stream20k:${v}`, "meanMs")
    const t1 = m(`stream1k:${v}`, "meanMs")
    const r = ratio(t20, t1 === undefined ? undefined : 20 * t1)
    atMost(
      `linear: ${v} 20k time vs 20 × 1k time`,
      r,
      1.1,
      r === undefined ? "" : `${times(r)} (${ms(t20!)} ms vs 20 × ${ms(t1!)} ms)`,
      "<= 1.10×"
    )
  }
  // Larger reads must not make the parser slower (a quadratic parser loses about 4x per 4x of read size).
  const perEvent = ratio(cps("perevent20k:nexos-decodeSse"), cps("perevent20k:raw-floor"))
  const burst = ratio(cps("stream20k:nexos-decodeSse"), floor20k)
  atLeast(
    "read size: decodeSse × floor, burst (64 KiB reads) vs per-event writes",
    ratio(burst, perEvent),
    0.85,
    perEvent === undefined || burst === undefined
      ? undefined
      : `${times(ratio(burst, perEvent))} (${times(burst)} vs ${times(perEvent)})`
  )
  const p1 = cps("pieces:1KiB")
  const p16 = cps("pieces:16KiB")
  const p64 = cps("pieces:64KiB")
  const worst = p1 === undefined || p16 === undefined || p64 === undefined ? undefined : Math.min(p64 / p1, p64 / p16)
  atLeast(
    "read size: decodeSse in memory, 64 KiB pieces vs 1 and 16 KiB",
    worst,
    0.85,
    worst === undefined ? undefined : `${times(worst)} (${k(p1!)}, ${k(p16!)}, ${k(p64!)} chunks/s)`
  )
  const es64 = cps("pieces:64KiB:esparser")
  atLeast(
    "decodeSse in memory vs eventsource-parser + JSON.parse, 64 KiB pieces",
    ratio(p64, es64),
    1.0,
    p64 === undefined || es64 === undefined
      ? undefined
      : `${times(ratio(p64, es64))} (${k(p64)} vs ${k(es64)} chunks/s)`
  )
  for (const v of ["nexos-events", "nexos-accumulate"]) {
    const t200 = m(`tools200k:${v}`, "meanMs")
    const t20 = m(`tools20k:${v}`, "meanMs")
    const r = ratio(t200, t20 === undefined ? undefined : 10 * t20)
    atMost(
      `linear: ${v} tool arguments, 200 KB in 2 000 index-less fragments vs 10 × 20 KB in 200`,
      r,
      1.5,
      r === undefined ? "" : `${times(r)} (${ms(t200!)} ms vs 10 × ${ms(t20!)} ms)`,
      "<= 1.50×"
    )
  }
  for (const v of ["nexos-events", "nexos-client-stream", "nexos-client-stream-undici"]) {
    const g20 = m(`mem20k:${v}`, "growthMB")
    const g200 = m(`mem200k:${v}`, "growthMB")
    const r = g20 === undefined || g200 === undefined ? undefined : g200 / Math.max(g20, 1)
    atMost(
      `memory: ${v} RSS growth, 200k vs 20k stream`,
      r,
      1.1,
      r === undefined ? "" : `${mb(g200!)} MB vs ${mb(g20!)} MB`,
      "<= 1.10× (+10%)"
    )
  }
  const openaiFirst = m("stream1k:openai-create", "firstMs")
  const clientFirst = m("stream1k:nexos-client-stream", "firstMs")
  const firstVariant = clientFirst === undefined ? "nexos-events" : "nexos-client-stream"
  const first = clientFirst ?? m("stream1k:nexos-events", "firstMs")
  const firstRatio = ratio(first, openaiFirst)
  atMost(
    `first 1k stream in a fresh process (${firstVariant}) vs openai create()`,
    firstRatio,
    1.5,
    firstRatio === undefined ? "" : `${times(firstRatio)} (${ms(first!)} ms vs ${ms(openaiFirst!)} ms)`,
    "<= 1.50×"
  )
  const platformFirst = m("stream1k:effect-bytes", "firstMs")
  for (const v of ["nexos-client-stream", "nexos-client-stream-undici"]) {
    const clientFirstMs = m(`stream1k:${v}`, "firstMs")
    const r = ratio(clientFirstMs, platformFirst)
    atMost(
      `first 1k stream in a fresh process (${v}) vs bare Effect + @effect/platform HttpClient (effect-bytes)`,
      r,
      1.1,
      r === undefined ? "" : `${times(r)} (${ms(clientFirstMs!)} ms vs ${ms(platformFirst!)} ms)`,
      "<= 1.10×"
    )
  }
  const bundledFirst = m("stream1k:nexos-app-bundled", "firstMs")
  const bundledRatio = ratio(bundledFirst, openaiFirst)
  atMost(
    "first 1k stream in a fresh process, the app bundled with esbuild (nexos-app-bundled) vs unbundled openai create()",
    bundledRatio,
    1.0,
    bundledRatio === undefined ? "" : `${times(bundledRatio)} (${ms(bundledFirst!)} ms vs ${ms(openaiFirst!)} ms)`,
    "<= 1.00×"
  )
  return out
}

// ------------------------------------------------------------------------------------------------ tables

export const progressLine = (s: Series): string => {
  const main = s.metrics["chunksPerSec"] ?? s.metrics["rps"] ?? s.metrics["growthMB"]
  return `${s.id}: ${
    main === undefined ? "no result" : `median ${main.median.toFixed(1)}`
  } (${s.ok} ok, ${s.failed} failed)`
}

export const render = (r: Results): string => {
  const series = r.series
  const m = finder(series)
  const byId = (id: string) => series.find((s) => s.id === id)
  const out: Array<string> = []
  out.push(
    `nexos-effect bench: ${r.when}, Node ${r.node}, ${r.cpus} CPUs (${r.cpuModel}), ${
      r.quick ? "quick" : "full"
    } run, ` +
      `medians of up to ${r.runs} fresh processes`
  )
  out.push(`versions: ${Object.entries(r.versions).map(([p, v]) => `${p} ${v}`).join(", ")}`)
  if (r.loadAverage !== undefined) {
    // The run itself keeps about one CPU busy, so only the load before it says that other work was running.
    const busy = r.loadAverage.start > r.cpus / 2
    out.push(
      `load average (1 min): ${r.loadAverage.start.toFixed(1)} at start, ${r.loadAverage.end.toFixed(1)} at end` +
        (busy ? ` (other work was running on the ${r.cpus} CPUs: treat the ratios as rough)` : "")
    )
  }

  for (
    const [group, title] of [
      ["stream20k", "Streaming, 20 000 content chunks (20 043 events, 5.2 MB), burst"],
      ["stream1k", "Streaming, 1 000 content chunks (1 043 events, 270 KB), burst; first = first stream incl. imports"]
    ] as const
  ) {
    const rows = series.filter((s) => s.group === group)
    if (rows.length === 0) continue
    const floor = m(`${group}:raw-floor`, "chunksPerSec")
    const openai = m(`${group}:openai-create`, "chunksPerSec")
    out.push("", `### ${title}`, "")
    out.push(table(
      ["variant", "chunks/s", "spread", "ms/stream", "MB/s", "× floor", "× openai create", "first ms"],
      rows.map((s) => {
        const bad = statusCell(s)
        if (bad !== undefined) return [s.variant, bad, "", "", "", "", "", ""]
        const c = s.metrics["chunksPerSec"]!
        return [
          s.variant,
          k(c.median),
          spread(c, k),
          ms(s.metrics["meanMs"]!.median),
          s.metrics["MBps"]!.median.toFixed(0),
          times(ratio(c.median, floor)),
          times(ratio(c.median, openai)),
          ms(s.metrics["firstMs"]!.median)
        ]
      })
    ))
  }

  const perEvent = series.filter((s) => s.group === "perevent20k")
  if (perEvent.length > 0) {
    const floor = m("perevent20k:raw-floor", "chunksPerSec")
    const floorBurst = m("stream20k:raw-floor", "chunksPerSec")
    out.push("", "### Streaming, 20 000 chunks, per-event server writes (smaller reads)", "")
    out.push(table(
      ["variant", "chunks/s", "spread", "× floor (per-event)", "× floor (burst)"],
      perEvent.map((s) => {
        const bad = statusCell(s)
        if (bad !== undefined) return [s.variant, bad, "", "", ""]
        const c = s.metrics["chunksPerSec"]!
        return [
          s.variant,
          k(c.median),
          spread(c, k),
          times(ratio(c.median, floor)),
          times(ratio(m(`stream20k:${s.variant}`, "chunksPerSec"), floorBurst))
        ]
      })
    ))
  }

  const pieces = series.filter((s) => s.group === "pieces")
  if (pieces.length > 0) {
    const base = m("pieces:1KiB", "chunksPerSec")
    out.push(
      "",
      "### One 20k stream held in memory, fed in pieces (no I/O): decodeSse, and eventsource-parser + JSON.parse",
      ""
    )
    out.push(table(
      ["parser", "piece size", "chunks/s", "spread", "ms/stream", "× decodeSse 1 KiB", "× esparser same size"],
      pieces.map((s) => {
        const size = s.id.split(":")[1]!
        const parser = s.variant === "esparser" ? "eventsource-parser" : "decodeSse"
        const bad = statusCell(s)
        if (bad !== undefined) return [parser, size, bad, "", "", "", ""]
        const c = s.metrics["chunksPerSec"]!
        return [
          parser,
          size,
          k(c.median),
          spread(c, k),
          ms(s.metrics["meanMs"]!.median),
          times(ratio(c.median, base)),
          times(ratio(c.median, m(`pieces:${size}:esparser`, "chunksPerSec")))
        ]
      })
    ))
  }

  const tools = series.filter((s) => s.group === "tools")
  if (tools.length > 0) {
    out.push("", "### One tool call, arguments in index-less fragments that repeat the name (in memory)", "")
    out.push(table(
      ["variant", "arguments", "ms/stream", "spread", "× floor time"],
      tools.map((s) => {
        const size = s.id.slice("tools".length, s.id.indexOf(":"))
        const label = size === "200k" ? "200 KB / 2 000" : "20 KB / 200"
        const bad = statusCell(s)
        if (bad !== undefined) return [s.variant, label, bad, "", ""]
        const t = s.metrics["meanMs"]!
        return [
          s.variant,
          label,
          ms(t.median),
          spread(t, ms),
          times(ratio(t.median, m(`tools${size}:raw-floor`, "meanMs")))
        ]
      })
    ))
  }

  const plainGroups = ["plain-c1", "plain-c16", "plain-c64"].filter((g) => series.some((s) => s.group === g))
  if (plainGroups.length > 0) {
    out.push("", "### Non-streaming (881 B response): req/s; c1 and c16 2 000 requests, c64 10 000 requests", "")
    const head = ["client"]
    for (const g of plainGroups) head.push(`${g.slice(6)} req/s`, `${g.slice(6)} spread`, "× raw", "× openai")
    out.push(table(
      head,
      ["raw-undici", "openai", "effect-floor", "effect-http", "nexos-create", "nexos-create-undici"].map((variant) => {
        const row = [variant]
        for (const g of plainGroups) {
          const s = byId(`${g}:${variant}`)
          const bad = s === undefined ? "–" : statusCell(s)
          if (bad !== undefined) {
            row.push(bad, "", "", "")
            continue
          }
          const rps = s!.metrics["rps"]!
          row.push(
            k(rps.median),
            spread(rps, k),
            times(ratio(rps.median, m(`${g}:raw-undici`, "rps"))),
            times(ratio(rps.median, m(`${g}:openai`, "rps")))
          )
        }
        return row
      })
    ))
  }

  const mem = series.filter((s) => s.group === "mem")
  if (mem.length > 0) {
    out.push("", "### Memory: one stream in a fresh process, consumed as events (counted, not kept)", "")
    out.push(table(
      ["variant", "chunks", "lifetime peak RSS MB", "maxRSS before MB", "maxRSS after MB", "growth MB", "spread"],
      mem.map((s) => {
        const chunks = s.id.slice(3, s.id.indexOf(":"))
        const bad = statusCell(s)
        if (bad !== undefined) return [s.variant, chunks, bad, "", "", "", ""]
        const g = s.metrics["growthMB"]!
        const life = s.metrics["timeMaxRssMB"]
        return [
          s.variant,
          chunks,
          life === undefined ? "–" : mb(life.median),
          mb(s.metrics["beforeMaxRssMB"]!.median),
          mb(s.metrics["afterMaxRssMB"]!.median),
          mb(g.median),
          spread(g, mb)
        ]
      })
    ))
  }

  if (r.targets.length > 0) {
    out.push("", "### Targets (ratios within this run)", "")
    out.push(table(
      ["target", "measured", "needs", "result"],
      r.targets.map((t) => [t.name, t.measured, t.needs, t.pass === null ? "n/a" : t.pass ? "PASS" : "FAIL"])
    ))
    const passed = r.targets.filter((t) => t.pass === true).length
    const failed = r.targets.filter((t) => t.pass === false).length
    out.push("", `${passed} passed, ${failed} failed, ${r.targets.length - passed - failed} n/a`)
  }
  const failedSeries = series.filter((s) => s.failed > 0)
  for (const s of failedSeries) out.push(`failures in ${s.id}: ${s.errors[0]}`)
  return out.join("\n")
}

// ------------------------------------------------------------------------------------------------ compare

const mainMetric = (s: Series): [string, Stat] | undefined => {
  for (const key of ["chunksPerSec", "rps", "growthMB"]) {
    const stat = s.metrics[key]
    if (stat !== undefined) return [key, stat]
  }
  return undefined
}

/** The change of every series' main metric between two runs' JSON files. */
export const compare = (before: Results, after: Results): string => {
  const rows: Array<Array<string>> = []
  for (const s of after.series) {
    const b = before.series.find((x) => x.id === s.id)
    const now = mainMetric(s)
    const then = b === undefined ? undefined : mainMetric(b)
    if (now === undefined || then === undefined || now[0] !== then[0]) continue
    const change = (now[1].median / then[1].median - 1) * 100
    rows.push([
      s.id,
      now[0],
      then[1].median.toFixed(1),
      now[1].median.toFixed(1),
      `${change >= 0 ? "+" : ""}${change.toFixed(1)}%`
    ])
  }
  const targetRows = after.targets.map((t) => {
    const b = before.targets.find((x) => x.name === t.name)
    const cell = (x: Target | undefined) =>
      x === undefined || x.pass === null ? "n/a" : `${x.measured} ${x.pass ? "PASS" : "FAIL"}`
    return [t.name, cell(b), cell(t)]
  })
  return [
    `### Compared with ${before.when} (${before.quick ? "quick" : "full"} run)`,
    "",
    table(["series", "metric", "before", "after", "change"], rows),
    "",
    table(["target", "before", "after"], targetRows)
  ].join("\n")
}
