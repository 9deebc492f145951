import { assert, describe, it } from "@effect/vitest"
import * as Batch from "@nexos-effect/client/Batch"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk, Effect, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const ask = (content: string): ChatCompletionRequest.ChatCompletionRequest => ({
  model: "GPT 5.4 mini",
  messages: [{ role: "user", content }]
})

const fastRetry = { initialDelay: "2 millis", maxDelay: "10 millis" } as const

const item = (i: number, fault?: Fault.Fault): Batch.Item => ({
  key: `k${i}`,
  request: ask(`prompt ${i}`),
  ...(fault === undefined ? {} : { options: { headers: Fault.header(fault) } })
})

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const gateway = MockGateway.MockGateway

describe("Batch.run against the embedded gateway (real sockets)", () => {
  it.live("10 000 keyed requests with faults: one result per key, failures typed", () =>
    Effect.gen(function*() {
      const n = 10_000
      const faultOf = (i: number): Fault.Fault | undefined =>
        i % 997 === 0
          ? Fault.status(400)
          : i % 499 === 0
          ? Fault.failFirst(1, Fault.status(500))
          : i % 331 === 0
          ? Fault.failFirst(1, Fault.drop(0))
          : i % 211 === 0
          ? Fault.failFirst(2, Fault.rateLimited({ retryAfterMs: 5 }))
          : i % 101 === 0
          ? Fault.delay(30)
          : undefined
      const items = Stream.range(0, n - 1).pipe(Stream.map((i) => item(i, faultOf(i))))
      const results = yield* collect(Batch.run(items, { concurrency: 64, retry: fastRetry }))
      assert.strictEqual(results.length, n)
      const keys = new Set(results.map((r) => r.key))
      assert.strictEqual(keys.size, n)
      for (let i = 0; i < n; i++) assert.isTrue(keys.has(`k${i}`))
      const byKey = new Map(results.map((r) => [r.key, r]))
      const failed = results.filter((r) => r.outcome._tag === "Failed")
      const expectedFailures = Array.from({ length: n }, (_, i) => i).filter((i) => i % 997 === 0)
      assert.deepStrictEqual(failed.map((r) => r.key).sort(), expectedFailures.map((i) => `k${i}`).sort())
      for (const r of failed) {
        assert.strictEqual(r.outcome._tag === "Failed" && r.outcome.error._tag, "BadRequest")
        assert.strictEqual(r.attempts, 1)
      }
      const retried500 = byKey.get("k499")!
      assert.strictEqual(retried500.outcome._tag, "Succeeded")
      assert.strictEqual(retried500.attempts, 2)
      const dropped = byKey.get("k331")!
      assert.strictEqual(dropped.outcome._tag, "Succeeded")
      assert.strictEqual(dropped.attempts, 2)
      const limited = byKey.get("k211")!
      assert.strictEqual(limited.outcome._tag, "Succeeded")
      assert.strictEqual(limited.attempts, 3)
      const ok = byKey.get("k1")!
      assert.strictEqual(ok.attempts, 1)
      assert.isTrue(ok.outcome._tag === "Succeeded" && ok.outcome.meta?.status === 200)
      assert.isTrue(ok.finishedAt! >= ok.startedAt!)
    }).pipe(Effect.provide(clientOnMock({ maxRecorded: 20_000 }))), 180_000)

  it.live("ordered output follows the input order while slow items run", () =>
    Effect.gen(function*() {
      const items = Stream.range(0, 199).pipe(
        Stream.map((i) => item(i, i % 10 === 0 ? Fault.delay(40) : undefined))
      )
      const results = yield* collect(Batch.run(items, { concurrency: 16, ordered: true }))
      assert.deepStrictEqual(results.map((r) => r.index), Array.from({ length: 200 }, (_, i) => i))
      assert.deepStrictEqual(results.map((r) => r.key), Array.from({ length: 200 }, (_, i) => `k${i}`))
      assert.isTrue(results.every((r) => r.outcome._tag === "Succeeded"))
    }).pipe(Effect.provide(clientOnMock())))

  it.live("a duplicate key fails the batch with DuplicateKey, or is dropped with duplicates: skip", () =>
    Effect.gen(function*() {
      const items = Stream.make(item(1), item(2), item(1), item(3))
      const error = yield* Effect.flip(collect(Batch.run(items)))
      assert.strictEqual(error._tag, "BatchDuplicateKey")
      assert.isTrue(error._tag === "BatchDuplicateKey" && error.key === "k1" && error.index === 2)
      assert.include(error.message, "\"k1\"")
      const skipped = yield* collect(Batch.run(items, { duplicates: "skip" }))
      assert.deepStrictEqual(skipped.map((r) => r.key).sort(), ["k1", "k2", "k3"])
    }).pipe(Effect.provide(clientOnMock())))

  it.live("a resumed run makes no request for a finished key; retryFailed runs retryable failures again", () =>
    Effect.gen(function*() {
      const gw = yield* gateway
      const store = yield* Batch.makeStoreMemory
      const items = Stream.range(0, 29).pipe(
        Stream.map((i) =>
          item(i, i === 3 ? Fault.status(400) : i === 7 ? Fault.failFirst(1, Fault.status(503)) : undefined)
        )
      )
      const first = yield* collect(
        Batch.run(items, { retry: { maxRetries: 0 } }).pipe(Stream.provideService(Batch.Store, store))
      )
      assert.strictEqual(first.length, 30)
      assert.strictEqual(store.recorded.size, 30)
      assert.deepStrictEqual(store.recorded.get("k7"), {
        key: "k7",
        status: "failed",
        retryable: true,
        error: "ServerError"
      })
      assert.strictEqual((yield* gw.requests).length, 30)

      const second = yield* collect(Batch.run(items).pipe(Stream.provideService(Batch.Store, store)))
      assert.strictEqual(second.length, 30)
      assert.isTrue(second.every((r) => r.outcome._tag === "Skipped" && r.attempts === 0))
      assert.strictEqual((yield* gw.requests).length, 30)

      const third = yield* collect(
        Batch.run(items, { retryFailed: true }).pipe(Stream.provideService(Batch.Store, store))
      )
      const requests = (yield* gw.requests).slice(30)
      assert.strictEqual(requests.length, 1)
      assert.deepStrictEqual(requests[0]!.body, ask("prompt 7"))
      const k7 = third.find((r) => r.key === "k7")!
      assert.strictEqual(k7.outcome._tag, "Succeeded")
      assert.strictEqual(third.find((r) => r.key === "k3")!.outcome._tag, "Skipped")
      assert.strictEqual(store.recorded.get("k7")!.status, "succeeded")
    }).pipe(Effect.provide(clientOnMock())))
})
