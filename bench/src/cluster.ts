/**
 * The cluster benchmark (`node bench/dist/cluster.js`, after `pnpm build`): keys per second of the same keyed batch
 * run by `Batch.run` in one process and by `BatchJob.run` on one and on two `nexos-cluster-runner` processes, side by
 * side in one run, against the embedded mock gateway (each answer delayed by `--delay-ms`, default 20) and a
 * PostgreSQL on 127.0.0.1 (`NEXOS_BENCH_PG_URL`, else one started with `scripts/postgres.sh` and stopped at the end).
 * Runner start-up is not timed: each cluster row first runs one warm-up chunk.
 *
 *   node bench/dist/cluster.js [--keys 2000] [--concurrency 32] [--chunk 50] [--delay-ms 20]
 */
import { NodeHttpClient } from "@effect/platform-node"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as BatchJob from "@nexos-effect/cluster/BatchJob"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import Pg from "pg"
import { now, numberFlag } from "./common.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const repo = Path.resolve(here, "../..")
const KEYS = numberFlag("keys", 2000)
const CONCURRENCY = numberFlag("concurrency", 32)
const CHUNK = numberFlag("chunk", 50)
const DELAY_MS = numberFlag("delay-ms", 20)
const SETTLE_S = numberFlag("settle-s", 10)

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

const startPostgres = async (): Promise<{ readonly url: string; readonly stop: () => void }> => {
  const given = process.env.NEXOS_BENCH_PG_URL
  if (given) return { url: given, stop: () => {} }
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-bench-pg-"))
  const script = Path.join(repo, "scripts/postgres.sh")
  const url = ChildProcess.execFileSync("bash", [script, "start", dir, String(await freePort())], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"]
  }).trim()
  return {
    url,
    stop: () => {
      ChildProcess.execFileSync("bash", [script, "stop", dir], { stdio: "ignore" })
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

const freshDatabase = async (url: string, name: string): Promise<string> => {
  const admin = new Pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const target = new URL(url)
  target.pathname = `/${name}`
  return target.toString()
}

const items = (prefix: string, count: number) =>
  Stream.range(0, count - 1).pipe(Stream.map((i) => ({
    key: `${prefix}-${i}`,
    request: { model: "GPT 5.4 mini", messages: [{ role: "user" as const, content: `label item ${i}` }] }
  })))

interface Row {
  readonly row: string
  readonly keys: number
  readonly seconds: number
  readonly keysPerSecond: number
}

const row = (name: string, ms: number): Row => ({
  row: name,
  keys: KEYS,
  seconds: ms / 1000,
  keysPerSecond: KEYS / (ms / 1000)
})

const inProcess = Effect.gen(function*() {
  const gateway = yield* MockGateway.MockGateway
  const client = NexosClient.layer({ apiKey: Redacted.make(gateway.apiKey), baseUrl: gateway.url }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )
  const started = now()
  const count = yield* Batch.run(items("local", KEYS), { concurrency: CONCURRENCY }).pipe(
    Stream.runCount,
    Effect.provide(client)
  )
  if (count !== KEYS) throw new Error(`Batch.run gave ${count} results for ${KEYS} keys`)
  return row("Batch.run, one process", now() - started)
})

const onRunners = (serverUrl: string, runners: number) =>
  Effect.gen(function*() {
    const gateway = yield* MockGateway.MockGateway
    const name = `bench_${runners}_${process.pid}_${Date.now()}`
    const url = yield* Effect.promise(() => freshDatabase(serverUrl, name))
    const job = BatchJob.make({ name, chunkSize: CHUNK })
    const env = {
      ...process.env,
      NEXOS_PG_URL: url,
      NEXOS_API_KEY: gateway.apiKey,
      NEXOS_BASE_URL: gateway.url,
      NEXOS_JOB: name,
      NEXOS_CHUNK_SIZE: String(CHUNK),
      NEXOS_RUNNER_CONCURRENCY: String(CONCURRENCY)
    }
    yield* Effect.acquireRelease(
      Effect.promise(async () => {
        const children: Array<ChildProcess.ChildProcess> = []
        for (let i = 0; i < runners; i++) {
          children.push(ChildProcess.spawn(process.execPath, [Path.join(repo, "packages/cluster/dist/bin/runner.js")], {
            env: { ...env, NEXOS_RUNNER_PORT: String(await freePort()) },
            stdio: "ignore"
          }))
        }
        return children
      }),
      (children) => Effect.sync(() => children.forEach((child) => child.kill("SIGKILL")))
    )
    const pg = PgClient.layer({ url: Redacted.make(url) })
    const cluster = BatchJob.clientLayer().pipe(Layer.provideMerge(pg))
    return yield* Effect.gen(function*() {
      yield* BatchJob.run(job, items("warmup", CHUNK * runners), { batchId: "warmup" }).pipe(Stream.runDrain)
      yield* Effect.sleep(SETTLE_S * 1000)
      yield* BatchJob.run(job, items("warmup2", CHUNK * runners * 2), { batchId: "warmup2" }).pipe(Stream.runDrain)
      const started = now()
      const count = yield* BatchJob.run(job, items("timed", KEYS), { batchId: "timed" }).pipe(Stream.runCount)
      if (count !== KEYS) throw new Error(`BatchJob.run gave ${count} results for ${KEYS} keys`)
      return row(`BatchJob.run, ${runners} runner${runners === 1 ? "" : "s"}`, now() - started)
    }).pipe(Effect.provide(cluster))
  }).pipe(Effect.scoped)

const main = Effect.gen(function*() {
  const pg = yield* Effect.acquireRelease(Effect.promise(startPostgres), (pg) => Effect.sync(pg.stop))
  const rows: Array<Row> = []
  rows.push(yield* inProcess)
  rows.push(yield* onRunners(pg.url, 1))
  rows.push(yield* onRunners(pg.url, 2))
  const base = rows[0].keysPerSecond
  console.log(`${KEYS} keys, ${CONCURRENCY} in flight per process, chunks of ${CHUNK}, answers delayed ${DELAY_MS} ms`)
  console.log("| row | seconds | keys/s | x Batch.run |")
  console.log("|---|---|---|---|")
  for (const r of rows) {
    console.log(
      `| ${r.row} | ${r.seconds.toFixed(2)} | ${r.keysPerSecond.toFixed(0)} | ${(r.keysPerSecond / base).toFixed(2)} |`
    )
  }
  const out = Path.join(repo, "bench/results/cluster.json")
  Fs.mkdirSync(Path.dirname(out), { recursive: true })
  Fs.writeFileSync(
    out,
    JSON.stringify({ keys: KEYS, concurrency: CONCURRENCY, chunk: CHUNK, delayMs: DELAY_MS, rows }, null, 2)
  )
}).pipe(
  Effect.scoped,
  Effect.provide(MockGateway.layer({ fault: Fault.delay(DELAY_MS) }))
)

Effect.runPromise(main).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
