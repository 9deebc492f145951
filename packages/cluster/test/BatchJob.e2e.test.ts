import { NodeHttpClient } from "@effect/platform-node"
import * as PgClient from "@effect/sql-pg/PgClient"
import { assert, describe, it } from "@effect/vitest"
import type * as Batch from "@nexos-effect/client/Batch"
import * as BatchJob from "@nexos-effect/cluster/BatchJob"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Effect, Redacted, Stream } from "effect"
import { afterAll } from "vitest"
import * as Processes from "./support/processes.js"

const serverUrl = Processes.postgresUrl()
const database = serverUrl === undefined
  ? undefined
  : await Processes.freshDatabase(serverUrl, `nexos_cluster_e2e_${process.pid}_${Date.now()}`)
afterAll(() => database?.drop())
const pgUrl = database?.url

const keyCount = 2_000
const chunkSize = 25
const runnerConcurrency = 16
const chunksInFlight = 8

const items = Stream.range(0, keyCount - 1).pipe(Stream.map((i) => {
  const key = `key-${String(i).padStart(5, "0")}`
  return { key, request: { model: "GPT 5.4 mini", messages: [{ role: "user" as const, content: `say ${key}` }] } }
}))

const keyOf = (body: unknown): string => {
  const content = (body as { messages?: Array<{ content?: unknown }> }).messages?.[0]?.content
  return typeof content === "string" ? content.slice(4) : ""
}

describe.skipIf(pgUrl === undefined)("BatchJob on PostgreSQL with two runner processes", () => {
  it.live(
    "every key gets exactly one result when a runner is killed mid-run; a re-run sends nothing",
    () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        const suffix = `${process.pid}_${Date.now()}`
        const job = BatchJob.make({ name: `e2e_${suffix}`, chunkSize })
        const batchId = `batch-${suffix}`
        const env = {
          NEXOS_PG_URL: pgUrl!,
          NEXOS_API_KEY: gateway.apiKey,
          NEXOS_BASE_URL: gateway.url,
          NEXOS_JOB: job.name,
          NEXOS_CHUNK_SIZE: String(chunkSize),
          NEXOS_RUNNER_CONCURRENCY: String(runnerConcurrency)
        }
        const runners = yield* Effect.acquireRelease(
          Effect.promise(() => Promise.all([Processes.startRunner(env), Processes.startRunner(env)])),
          (runners) => Effect.promise(() => Promise.all(runners.map((runner) => runner.kill())))
        )
        const seen = new Map<string, Batch.Result>()
        let duplicates = 0
        yield* BatchJob.run(job, items, { batchId, concurrency: chunksInFlight }).pipe(
          Stream.tap((result) =>
            Effect.gen(function*() {
              if (seen.has(result.key)) duplicates++
              seen.set(result.key, result)
              if (seen.size === 500) yield* Effect.promise(() => runners[0].kill())
            })
          ),
          Stream.runDrain
        )
        assert.strictEqual(duplicates, 0)
        assert.strictEqual(seen.size, keyCount)
        const outcomes = new Set([...seen.values()].map((result) => result.outcome._tag))
        assert.deepStrictEqual([...outcomes].filter((tag) => tag !== "Succeeded" && tag !== "Failed"), [])

        const requests = (yield* gateway.requests).filter((request) => request.path === "/v1/chat/completions")
        const perKey = new Map<string, number>()
        for (const request of requests) perKey.set(keyOf(request.body), (perKey.get(keyOf(request.body)) ?? 0) + 1)
        assert.strictEqual(perKey.size, keyCount)
        const report = yield* BatchJob.report(job, batchId)
        assert.strictEqual(report.succeeded + report.failed, keyCount)
        assert.strictEqual(report.inFlight, 0)
        assert.isAtMost(report.resent, chunksInFlight * chunkSize)
        const resentOnWire = [...perKey.values()].filter((count) => count > 1).length
        assert.isAtLeast(resentOnWire, report.resent)

        const before = requests.length
        const again = yield* BatchJob.run(job, items, { batchId, concurrency: chunksInFlight }).pipe(Stream.runCollect)
        assert.strictEqual(again.length, keyCount)
        assert.strictEqual(new Set([...again].map((result) => result.key)).size, keyCount)
        const after = (yield* gateway.requests).filter((request) => request.path === "/v1/chat/completions").length
        assert.strictEqual(after, before)
      }).pipe(
        Effect.provide(BatchJob.clientLayer()),
        Effect.provide(PgClient.layer({ url: Redacted.make(pgUrl!) })),
        Effect.provide(MockGateway.layer({
          fault: Fault.delay(20),
          faults: [
            ...Array.from({ length: 10 }, () => Fault.status(500)),
            ...Array.from({ length: 10 }, () => Fault.rateLimited({ retryAfter: 0 }))
          ]
        })),
        Effect.provide(NodeHttpClient.layerUndici),
        Effect.scoped
      ),
    { timeout: 240_000 }
  )
})
