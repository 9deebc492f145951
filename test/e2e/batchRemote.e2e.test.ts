import { assert, describe, it } from "@effect/vitest"
import * as Batch from "@nexos-effect/client/Batch"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk, Deferred, Effect, Fiber, Layer, Ref, Schedule, Stream, SubscriptionRef } from "effect"
import { clientOnMock } from "./layers.js"

const gateway = MockGateway.MockGateway
const poll = Schedule.spaced("10 millis")
const onMock = clientOnMock({
  rejectUnknownModels: true,
  models: ["GPT 4.1 mini"],
  batches: { stepMs: 10, requestsPerStep: 60 }
})

const ask = (i: number): ChatCompletionRequest.ChatCompletionRequest => ({
  model: i % 25 === 7 ? "No Such Model" : "GPT 4.1 mini",
  messages: [{ role: "user", content: `Question number ${i}` }],
  ...(i % 50 === 13 ? { n: 0 } : {})
})

const items = (count: number) =>
  Stream.fromIterable(Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, request: ask(i) })))

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const summary = (result: Batch.Result<ChatCompletion.ChatCompletion>) => {
  const outcome = result.outcome
  switch (outcome._tag) {
    case "Succeeded":
      return `${result.index} Succeeded ${ChatCompletion.text(outcome.value)}`
    case "Failed":
      return `${result.index} Failed ${outcome.error._tag}`
    default:
      return `${result.index} ${outcome._tag}`
  }
}

const requestsTo = (path: string, method = "POST") =>
  Effect.map(
    Effect.flatMap(gateway, (gw) => gw.requests),
    (all) => all.filter((r) => r.method === method && r.path === path).length
  )

describe("Batch.runRemote against the embedded gateway (real sockets)", () => {
  it.scopedLive("300 keyed requests round-trip with some failing: each key once, the same results as Batch.run", () =>
    Effect.gen(function*() {
      const progress = yield* Batch.makeProgress
      const seen = yield* Ref.make<ReadonlyArray<Batch.Progress>>([])
      yield* progress.changes.pipe(
        Stream.runForEach((p) => Ref.update(seen, (all) => [...all, p])),
        Effect.forkScoped
      )
      const remote = yield* collect(Batch.runRemote(items(300), { poll, progress, metadata: { job: "e2e" } }))

      assert.strictEqual(remote.length, 300)
      assert.deepStrictEqual(new Set(remote.map((r) => r.key)).size, 300)
      for (const r of remote) assert.strictEqual(r.key, `key-${r.index}`)
      const byKey = new Map(remote.map((r) => [r.key, r]))
      const tags = (tag: string) => remote.filter((r) => r.outcome._tag === tag).length
      assert.strictEqual(tags("Succeeded"), 282)
      assert.strictEqual(tags("Failed"), 18)
      const invalid = byKey.get("key-13")!
      assert.strictEqual(invalid.outcome._tag === "Failed" && invalid.outcome.error._tag, "InvalidRequest")
      assert.strictEqual(invalid.attempts, 0)
      const unknown = byKey.get("key-7")!
      assert.strictEqual(unknown.outcome._tag === "Failed" && unknown.outcome.error._tag, "NotFound")
      const ok = byKey.get("key-1")!
      assert.strictEqual(ok.attempts, 1)
      if (ok.outcome._tag === "Succeeded") {
        assert.strictEqual(ok.outcome.value.usage!.total_tokens > 0, true)
        assert.isString(ok.outcome.meta!.requestId)
      }

      const local = yield* collect(Batch.run(items(60), { concurrency: 16 }))
      assert.deepStrictEqual(
        remote.filter((r) => r.index < 60).map(summary).sort(),
        local.map(summary).sort()
      )

      const final = yield* SubscriptionRef.get(progress)
      assert.deepStrictEqual(
        {
          total: final.total,
          done: final.done,
          succeeded: final.succeeded,
          failed: final.failed,
          finished: final.finished
        },
        { total: 300, done: 300, succeeded: 282, failed: 18, finished: true }
      )
      assert.isAbove(final.credits, 0)
      const during = (yield* Ref.get(seen)).filter((p) => !p.finished && p.done > 0 && p.done < 300)
      assert.isAbove(during.length, 0)

      assert.strictEqual(yield* requestsTo("/v1/files"), 1)
      assert.strictEqual(yield* requestsTo("/v1/batches"), 1)
    }).pipe(Effect.provide(onMock)))

  it.scopedLive("interrupted while it waits, the run re-attaches by batch id: no second upload or batch", () =>
    Effect.gen(function*() {
      const created = yield* Deferred.make<string>()
      const first = yield* Batch.runRemote(items(120), {
        poll,
        onCreated: (batch) => Deferred.succeed(created, batch.id)
      }).pipe(Stream.runDrain, Effect.fork)
      const batchId = yield* Deferred.await(created)
      yield* Fiber.interrupt(first)

      const results = yield* collect(Batch.runRemote(items(120), { poll, batchId }))
      assert.strictEqual(results.length, 120)
      assert.strictEqual(new Set(results.map((r) => r.key)).size, 120)
      assert.strictEqual(results.filter((r) => r.outcome._tag === "Succeeded").length, 112)
      assert.strictEqual(yield* requestsTo("/v1/files"), 1)
      assert.strictEqual(yield* requestsTo("/v1/batches"), 1)
    }).pipe(Effect.provide(onMock)))

  it.scopedLive("keys the batch never ran (expired) are NotDone, never dropped", () =>
    Effect.gen(function*() {
      const results = yield* collect(
        Batch.runRemote(
          Stream.fromIterable(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, request: ask(i + 100) }))),
          { poll, metadata: { mock_outcome: "expired", mock_expire_after: "4" } }
        )
      )
      assert.strictEqual(results.length, 10)
      assert.strictEqual(results.filter((r) => r.outcome._tag === "Succeeded").length, 4)
      assert.deepStrictEqual(
        results.filter((r) => r.outcome._tag === "NotDone").map((r) => r.outcome),
        Array.from({ length: 6 }, () => ({ _tag: "NotDone" as const, reason: "interrupted" as const }))
      )
    }).pipe(Effect.provide(onMock)))

  it.scopedLive("with a Store: a second run skips every key without uploading; a duplicate key fails the run", () =>
    Effect.gen(function*() {
      const once = yield* collect(Batch.runRemote(items(30), { poll }))
      const again = yield* collect(Batch.runRemote(items(30), { poll }))
      assert.strictEqual(once.filter((r) => r.outcome._tag === "Skipped").length, 0)
      assert.strictEqual(again.filter((r) => r.outcome._tag === "Skipped").length, 30)
      assert.strictEqual(yield* requestsTo("/v1/batches"), 1)

      const twice = Stream.concat(items(2), items(1))
      const duplicate = yield* Effect.flip(Stream.runDrain(Batch.runRemote(twice, { poll })))
      assert.strictEqual(duplicate._tag, "BatchDuplicateKey")
    }).pipe(Effect.provide(Layer.merge(onMock, Batch.layerStoreMemory))))
})
