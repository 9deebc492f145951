/**
 * The CLI start-up benchmark (`node bench/dist/cli.js`, after `pnpm build`): a fresh `nexos` process for
 * `nexos --version` and for `nexos chat hi` against the embedded mock gateway, the bundled binary
 * (`packages/cli/dist/bundle/nexos.mjs`, the package's `bin`) side by side with the unbundled one
 * (`packages/cli/dist/bin/nexos.js`, one module per file) and `node -e 0` as the floor, round-robin in one run.
 * Prints medians of wall time and CPU time (user + system, from `/usr/bin/time` when present) and the ratio of
 * bundled to unbundled; writes `bench/results/cli.json`.
 *
 *   node bench/dist/cli.js [--runs 10]
 */
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import { median, now, numberFlag } from "./common.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const repo = Path.resolve(here, "../..")
const RUNS = numberFlag("runs", 10)
const TIME = Fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined
const bundled = Path.join(repo, "packages/cli/dist/bundle/nexos.mjs")
const unbundled = Path.join(repo, "packages/cli/dist/bin/nexos.js")

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number | undefined
}

const once = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<Sample> =>
  new Promise((resolve, reject) => {
    const command = TIME === undefined ? process.execPath : TIME
    const argv = TIME === undefined ? args : ["-f", "cpu %U %S", process.execPath, ...args]
    const started = now()
    const child = ChildProcess.spawn(command, argv, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => stdout += String(d))
    child.stderr.on("data", (d) => stderr += String(d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.once("close", (code) => {
      clearTimeout(timer)
      const wallMs = now() - started
      if (code !== 0) return reject(new Error(`${args.join(" ")} exited with ${code}: ${stderr}`))
      if (args.includes("chat") && !stdout.includes("You said: hi")) return reject(new Error(`no answer: ${stdout}`))
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(stderr)
      resolve({ wallMs, cpuMs: cpu === null ? undefined : (Number(cpu[1]) + Number(cpu[2])) * 1000 })
    })
  })

const rows = [
  { name: "node -e 0 (floor)", args: ["-e", "0"] },
  { name: "--version unbundled", args: [unbundled, "--version"] },
  { name: "--version bundled", args: [bundled, "--version"] },
  { name: "chat unbundled", args: [unbundled, "chat", "hi"] },
  { name: "chat bundled", args: [bundled, "chat", "hi"] }
] as const

const program = Effect.gen(function*() {
  for (const file of [bundled, unbundled]) {
    if (!Fs.existsSync(file)) return yield* Effect.die(new Error(`${file} is missing: run pnpm build first`))
  }
  const gateway = yield* MockGateway.MockGateway
  const env = { NEXOS_API_KEY: gateway.apiKey, NEXOS_BASE_URL: gateway.url, NO_COLOR: "1" }
  const samples = new Map<string, Array<Sample>>(rows.map((r) => [r.name, []]))
  for (let run = 0; run < RUNS + 1; run++) {
    for (const row of rows) {
      const sample = yield* Effect.promise(() => once(row.args, env))
      if (run > 0) samples.get(row.name)!.push(sample)
    }
  }
  const summary = rows.map((row) => {
    const list = samples.get(row.name)!
    const cpu = list.flatMap((s) => s.cpuMs === undefined ? [] : [s.cpuMs])
    return {
      name: row.name,
      wallMs: median(list.map((s) => s.wallMs)),
      cpuMs: cpu.length === 0 ? undefined : median(cpu)
    }
  })
  const by = (name: string) => summary.find((s) => s.name === name)!
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? "-" : `${(a / b).toFixed(2)}x`
  console.log(`nexos start-up, ${RUNS} fresh processes each (medians; ratio = bundled / unbundled)`)
  console.log("| row | wall ms | cpu ms | ratio wall | ratio cpu |")
  console.log("|---|---|---|---|---|")
  for (const s of summary) {
    const other = s.name.endsWith(" bundled") ? by(s.name.replace(" bundled", " unbundled")) : undefined
    console.log(
      `| ${s.name} | ${s.wallMs.toFixed(0)} | ${s.cpuMs === undefined ? "-" : s.cpuMs.toFixed(0)} | ${
        other === undefined ? "" : ratio(s.wallMs, other.wallMs)
      } | ${other === undefined ? "" : ratio(s.cpuMs, other.cpuMs)} |`
    )
  }
  const out = Path.join(repo, "bench/results/cli.json")
  Fs.mkdirSync(Path.dirname(out), { recursive: true })
  Fs.writeFileSync(
    out,
    JSON.stringify({ runs: RUNS, node: process.version, summary, samples: Object.fromEntries(samples) }, null, 2)
  )
  console.log(`written ${Path.relative(process.cwd(), out)}`)
})

Effect.runPromise(Effect.provide(program, MockGateway.layer())).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
