/**
 * The benchmark driver (`pnpm bench`). Starts one mock server process on 127.0.0.1, runs every variant x scenario
 * in several fresh processes (`variants.js`, round-robin so drift in machine load spreads over all variants),
 * takes medians, prints tables of ratios to the raw floor and to openai-node with the targets' pass/fail, and
 * writes everything to `bench/results/latest.json`.
 *
 *   node bench/dist/run.js [--quick] [--only stream,perevent,pieces,tools,plain,c64,mem,batchmem] [--runs N]
 *                          [--out FILE] [--compare BEFORE.json]
 *   node bench/dist/run.js --compare BEFORE.json --against AFTER.json     (no run: compares two saved runs)
 *
 * Every child has its own count and time budget and a hard kill timeout here; the server exits on its own after
 * its lifetime or when this process goes away.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import { flag, hasFlag, numberFlag, stringFlag } from "./common.js"
import * as Report from "./report.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const benchDir = Path.resolve(here, "..")
const QUICK = hasFlag("quick")
const GROUPS = ["stream", "perevent", "pieces", "tools", "plain", "c64", "mem", "batchmem"] as const
const ONLY = new Set(stringFlag("only", GROUPS.join(",")).split(",").map((s) => s.trim()))
for (const g of ONLY) if (!(GROUPS as ReadonlyArray<string>).includes(g)) throw new Error(`unknown group ${g}`)
const RUNS = numberFlag("runs", QUICK ? 2 : 5)
const MEM_RUNS = Math.min(RUNS, QUICK ? 2 : 3)
const SIDE_RUNS = Math.min(RUNS, QUICK ? 1 : 3)
const OUT = Path.resolve(stringFlag("out", Path.join(benchDir, "results", "latest.json")))
const COMPARE = flag("compare")
const AGAINST = flag("against")
const TIME = Fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined

// ------------------------------------------------------------------------------------------------ server

const startServer = async (): Promise<{ readonly port: number; readonly stop: () => void }> => {
  const child = ChildProcess.spawn(process.execPath, [Path.join(here, "server.js"), "--max-lifetime-s", "1800"], {
    stdio: ["ignore", "pipe", "inherit", "ipc"]
  })
  const stdout = child.stdout
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGTERM")
  }
  if (stdout === null) throw new Error("bench server has no stdout")
  process.on("exit", stop)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bench server did not start within 10 s")), 10_000)
    let text = ""
    stdout.on("data", (data: Buffer) => {
      text += data.toString("utf8")
      const match = /listening (\d+)/.exec(text)
      if (match !== null) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.on("exit", (code) => reject(new Error(`bench server exited with ${code}`)))
  })
  stdout.removeAllListeners("data")
  stdout.resume()
  child.unref()
  child.channel?.unref()
  return { port, stop }
}

// ------------------------------------------------------------------------------------------------ children

const runChild = (port: number, args: ReadonlyArray<string>, timeMem: boolean, budgetS: number): Report.Line => {
  const nodeArgs = [Path.join(here, "variants.js"), ...args, "--port", String(port), "--budget-s", String(budgetS)]
  const useTime = timeMem && TIME !== undefined
  const r = ChildProcess.spawnSync(
    useTime ? TIME : process.execPath,
    useTime ? ["-v", process.execPath, ...nodeArgs] : nodeArgs,
    { encoding: "utf8", timeout: (budgetS + 15) * 1000, killSignal: "SIGKILL", cwd: benchDir, maxBuffer: 1 << 24 }
  )
  const last = (r.stdout ?? "").trim().split("\n").pop() ?? ""
  let line: Report.Line
  try {
    line = JSON.parse(last) as Report.Line
  } catch {
    line = {
      ok: false,
      error: `no JSON line (status ${r.status}, signal ${r.signal}): ${(r.stderr ?? "").slice(-800)}`
    }
  }
  if (useTime) {
    const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? "")
    if (match !== null) line.timeMaxRssMB = Number(match[1]) / 1024
  }
  return line
}

interface Plan {
  readonly id: string
  readonly group: string
  readonly variant: string
  readonly args: ReadonlyArray<string>
  readonly runs: number
  readonly timeMem?: boolean
  readonly budgetS?: number
}

const streamArgs = (variant: string, chunks: number, mode: string, warmup: number, iters: number) => [
  "--variant",
  variant,
  "--scenario",
  "stream",
  "--chunks",
  String(chunks),
  "--mode",
  mode,
  "--warmup",
  String(warmup),
  "--iters",
  String(iters)
]

const STREAM_VARIANTS = [
  "raw-bytes",
  "raw-floor",
  "openai-create",
  "openai-stream-final",
  "effect-bytes",
  "nexos-decodeSse",
  "nexos-events",
  "nexos-accumulate",
  "nexos-client-stream",
  "nexos-client-stream-undici"
]

const PLAIN_VARIANTS = ["raw-undici", "openai", "effect-floor", "effect-http", "nexos-create", "nexos-create-undici"]

const plans = (): Array<Array<Plan>> => {
  const groups: Array<Array<Plan>> = []
  if (ONLY.has("stream")) {
    const [w20, i20, w1, i1] = QUICK ? [2, 5, 3, 15] : [3, 10, 5, 30]
    groups.push(STREAM_VARIANTS.map((variant) => ({
      id: `stream20k:${variant}`,
      group: "stream20k",
      variant,
      args: streamArgs(variant, 20000, "burst", w20, i20),
      runs: RUNS
    })))
    groups.push([...STREAM_VARIANTS, "nexos-app", "nexos-app-bundled"].map((variant) => ({
      id: `stream1k:${variant}`,
      group: "stream1k",
      variant,
      args: streamArgs(variant, 1000, "burst", w1, i1),
      runs: RUNS
    })))
  }
  if (ONLY.has("perevent")) {
    const [w, i] = QUICK ? [2, 4] : [2, 8]
    groups.push(["raw-bytes", "raw-floor", "nexos-decodeSse", "nexos-events"].map((variant) => ({
      id: `perevent20k:${variant}`,
      group: "perevent20k",
      variant,
      args: streamArgs(variant, 20000, "per-event", w, i),
      runs: SIDE_RUNS
    })))
  }
  if (ONLY.has("pieces")) {
    const [w, i] = QUICK ? [2, 5] : [3, 10]
    groups.push([1, 16, 64].flatMap((kib) =>
      ["nexos-decodeSse", "esparser"].map((variant) => ({
        id: variant === "esparser" ? `pieces:${kib}KiB:esparser` : `pieces:${kib}KiB`,
        group: "pieces",
        variant,
        args: [
          "--variant",
          variant,
          "--scenario",
          "pieces",
          "--chunks",
          "20000",
          "--piece-kib",
          String(kib),
          "--warmup",
          String(w),
          "--iters",
          String(i)
        ],
        runs: SIDE_RUNS
      }))
    ))
  }
  if (ONLY.has("tools")) {
    const [w, i] = QUICK ? [2, 5] : [3, 10]
    groups.push(
      [[20, 200], [200, 2000]].flatMap(([kib, frags]) =>
        ["raw-floor", "nexos-events", "nexos-accumulate"].map((variant) => ({
          id: `tools${kib}k:${variant}`,
          group: "tools",
          variant,
          args: [
            "--variant",
            variant,
            "--scenario",
            "tools",
            "--tool-kib",
            String(kib),
            "--frags",
            String(frags),
            "--warmup",
            String(w),
            "--iters",
            String(i)
          ],
          runs: SIDE_RUNS
        }))
      )
    )
  }
  if (ONLY.has("plain")) {
    const [requests, warm] = QUICK ? [1000, 100] : [2000, 200]
    for (const concurrency of [1, 16]) {
      groups.push(PLAIN_VARIANTS.map((variant) => ({
        id: `plain-c${concurrency}:${variant}`,
        group: `plain-c${concurrency}`,
        variant,
        args: [
          "--variant",
          variant,
          "--scenario",
          "plain",
          "--requests",
          String(requests),
          "--warm-requests",
          String(warm),
          "--concurrency",
          String(concurrency)
        ],
        runs: RUNS
      })))
    }
  }
  if (ONLY.has("c64")) {
    groups.push([...PLAIN_VARIANTS, "nexos-create-calls", "nexos-batch"].map((variant) => ({
      id: `plain-c64:${variant}`,
      group: "plain-c64",
      variant,
      args: [
        "--variant",
        variant,
        "--scenario",
        "plain",
        "--requests",
        "10000",
        "--warm-requests",
        "200",
        "--concurrency",
        "64"
      ],
      runs: QUICK ? 1 : 3,
      budgetS: 40
    })))
  }
  if (ONLY.has("batchmem")) {
    groups.push([10000, 100000].map((requests) => ({
      id: `batchmem${requests / 1000}k:nexos-batch`,
      group: "batchmem",
      variant: "nexos-batch",
      args: [
        "--variant",
        "nexos-batch",
        "--scenario",
        "batchmem",
        "--requests",
        String(requests),
        "--concurrency",
        "64"
      ],
      runs: MEM_RUNS,
      timeMem: true,
      budgetS: requests >= 100000 ? 240 : 90
    })))
  }
  if (ONLY.has("mem")) {
    const mem = (variant: string, chunks: number): Plan => ({
      id: `mem${chunks / 1000}k:${variant}`,
      group: "mem",
      variant,
      args: ["--variant", variant, "--scenario", "mem", "--chunks", String(chunks)],
      runs: MEM_RUNS,
      timeMem: true
    })
    groups.push([
      mem("raw-floor", 20000),
      mem("openai-create", 20000),
      mem("nexos-events", 20000),
      mem("nexos-client-stream", 20000),
      mem("nexos-client-stream-undici", 20000),
      mem("raw-floor", 200000),
      mem("nexos-events", 200000),
      mem("nexos-client-stream", 200000),
      mem("nexos-client-stream-undici", 200000)
    ])
  }
  return groups
}

// ------------------------------------------------------------------------------------------------ main

const versionOf = (pkg: string): string => {
  try {
    const json = Fs.readFileSync(Path.join(benchDir, "node_modules", pkg, "package.json"), "utf8")
    return (JSON.parse(json) as { version: string }).version
  } catch {
    return "?"
  }
}

const main = async () => {
  const started = Date.now()
  const loadAtStart = Os.loadavg()[0]
  const server = await startServer()
  process.stderr.write(`bench: server on 127.0.0.1:${server.port}; ${QUICK ? "quick" : "full"} run, ${RUNS} runs\n`)
  const series: Array<Report.Series> = []
  for (const group of plans()) {
    const lines = new Map<string, Array<Report.Line>>(group.map((p) => [p.id, []]))
    const maxRuns = Math.max(...group.map((p) => p.runs))
    // Round-robin: run 1 of every variant, then run 2, ...
    for (let run = 0; run < maxRuns; run++) {
      for (const plan of group) {
        if (run >= plan.runs) continue
        const line = runChild(server.port, plan.args, plan.timeMem === true, plan.budgetS ?? 25)
        lines.get(plan.id)!.push(line)
        if (line.ok !== true) process.stderr.write(`bench: FAILED ${plan.id}: ${String(line.error)}\n`)
      }
    }
    for (const plan of group) {
      const s = Report.summarize(plan.id, plan.group, plan.variant, lines.get(plan.id)!)
      series.push(s)
      process.stderr.write(`bench: ${Report.progressLine(s)}\n`)
    }
  }
  server.stop()
  const targets = Report.targets(series)
  const results: Report.Results = {
    when: new Date().toISOString(),
    node: process.version,
    platform: `${Os.platform()} ${Os.arch()}`,
    cpus: Os.cpus().length,
    cpuModel: Os.cpus()[0]?.model ?? "?",
    versions: Object.fromEntries(
      ["openai", "undici", "effect", "@effect/platform", "@effect/platform-node", "eventsource-parser"].map((p) => [
        p,
        versionOf(p)
      ])
    ),
    quick: QUICK,
    runs: RUNS,
    wallS: (Date.now() - started) / 1000,
    loadAverage: { start: loadAtStart, end: Os.loadavg()[0] },
    series,
    targets
  }
  Fs.mkdirSync(Path.dirname(OUT), { recursive: true })
  Fs.writeFileSync(OUT, JSON.stringify(results, null, 2) + "\n")
  process.stdout.write(Report.render(results) + "\n")
  if (COMPARE !== undefined) {
    process.stdout.write("\n" + Report.compare(readResults(COMPARE), results) + "\n")
  }
  process.stdout.write(`\nwrote ${Path.relative(process.cwd(), OUT)} (${results.wallS.toFixed(0)} s)\n`)
}

const readResults = (file: string): Report.Results => JSON.parse(Fs.readFileSync(file, "utf8")) as Report.Results

const start = COMPARE !== undefined && AGAINST !== undefined
  ? async () => {
    const after = readResults(AGAINST)
    process.stdout.write(Report.render(after) + "\n\n" + Report.compare(readResults(COMPARE), after) + "\n")
  }
  : main

start().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exit(1)
})
