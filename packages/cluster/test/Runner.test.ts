import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as BatchStore from "@nexos-effect/cluster/BatchStore"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk as EffectChunk, Effect, Layer, Redacted, Stream } from "effect"
import * as Chunk from "../src/internal/chunk.js"
import * as ResultCodec from "../src/internal/resultCodec.js"
import { memoryTable } from "./support/memoryTable.js"

const item = (i: number): Chunk.Item => ({
  key: `key-${i}`,
  request: { model: "GPT 5.4 mini", messages: [{ role: "user", content: `say ${i}` }] }
})

const onMock = (gateway: MockGateway.Options = {}) =>
  Layer.unwrapEffect(
    Effect.map(
      MockGateway.MockGateway,
      (gw) => NexosClient.layer({ apiKey: Redacted.make(gw.apiKey), baseUrl: gw.url })
    )
  ).pipe(
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.provideMerge(MockGateway.layer(gateway))
  )

const settings = { runnerId: "test-runner", concurrency: 4, requestsPerMinute: undefined, batch: {} }

describe("chunking", () => {
  it.effect("splits keyed items into chunks in input order with stable indices", () =>
    Effect.gen(function*() {
      const chunks = yield* Chunk.chunked(Stream.range(0, 9).pipe(Stream.map(item)), 4, (key) => key).pipe(
        Stream.runCollect
      )
      assert.deepStrictEqual(
        EffectChunk.toReadonlyArray(chunks).map((chunk) => [chunk.index, chunk.items.map((one) => one.key)]),
        [
          [0, ["key-0", "key-1", "key-2", "key-3"]],
          [1, ["key-4", "key-5", "key-6", "key-7"]],
          [2, ["key-8", "key-9"]]
        ]
      )
    }))

  it.effect("a key repeated in the input fails with its position", () =>
    Effect.gen(function*() {
      const items = Stream.make(item(0), item(1), item(0))
      const error = yield* Chunk.chunked(items, 2, (key, index) => ({ key, index })).pipe(Stream.runDrain, Effect.flip)
      assert.deepStrictEqual(error, { key: "key-0", index: 2 })
    }))

  it.effect("a chunk's execution id depends only on the batch id and the chunk index", () =>
    Effect.gen(function*() {
      const workflow = Chunk.workflow("labels")
      assert.strictEqual(workflow.name, "nexos-batch/labels")
      const id = yield* workflow.executionId({ batchId: "b1", index: 7, items: [item(1)] })
      assert.strictEqual(yield* workflow.executionId({ batchId: "b1", index: 7, items: [item(2), item(3)] }), id)
      assert.notStrictEqual(yield* workflow.executionId({ batchId: "b1", index: 8, items: [item(1)] }), id)
      assert.notStrictEqual(yield* workflow.executionId({ batchId: "b2", index: 7, items: [item(1)] }), id)
    }))
})

describe("a runner's chunk logic (results table in memory, gateway over real sockets)", () => {
  it.live("runs a chunk, records every key, and a replay sends only keys that have no result", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.MockGateway
      const { rows, table } = memoryTable()
      const runner = yield* Chunk.makeRunner(table, settings)
      const payload = { batchId: "b", index: 0, items: Array.from({ length: 10 }, (_, i) => item(i)) }
      const first = yield* runner.run(payload)
      assert.deepStrictEqual(first, { sent: 10, succeeded: 10, failed: 0, skipped: 0, notDone: 0, repeated: 0 })
      assert.strictEqual((yield* gateway.requests).length, 10)

      rows("b").delete("key-3")
      rows("b").set("key-5", { status: "in_flight", retryable: false, errorTag: undefined, result: null, sends: 1 })
      const replay = yield* runner.run(payload)
      assert.deepStrictEqual(replay, { sent: 2, succeeded: 2, failed: 0, skipped: 8, notDone: 0, repeated: 1 })
      const requests = yield* gateway.requests
      assert.deepStrictEqual(
        requests.slice(10).map((request) =>
          (request.body as { messages: Array<{ content: string }> }).messages[0].content
        )
          .sort(),
        ["say 3", "say 5"]
      )
      assert.strictEqual(rows("b").get("key-5")!.sends, 2)
      assert.strictEqual(rows("b").get("key-5")!.status, "succeeded")
    }).pipe(Effect.provide(onMock())))

  it.live("failures are recorded as typed errors and come back from the table as the same error", () =>
    Effect.gen(function*() {
      const { rows, table } = memoryTable()
      const runner = yield* Chunk.makeRunner(table, settings)
      const summary = yield* runner.run({ batchId: "f", index: 0, items: [item(0), item(1)] })
      assert.deepStrictEqual(summary, { sent: 2, succeeded: 0, failed: 2, skipped: 0, notDone: 0, repeated: 0 })
      const row = rows("f").get("key-1")!
      assert.strictEqual(row.status, "failed")
      assert.strictEqual(row.errorTag, "BadRequest")
      const decoded = ResultCodec.decode("key-1", 1, "failed", row.result as ResultCodec.Stored)
      assert.strictEqual(decoded.outcome._tag, "Failed")
      assert.strictEqual(decoded.outcome._tag === "Failed" && decoded.outcome.error._tag, "BadRequest")
      assert.strictEqual(
        decoded.outcome._tag === "Failed" && decoded.outcome.error.message.includes("bad prompt"),
        true
      )
    }).pipe(Effect.provide(onMock({ fault: Fault.status(400, { body: { error: { message: "bad prompt" } } }) }))))

  it.live("the runner bounds requests in flight across chunks", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.MockGateway
      const { table } = memoryTable()
      const runner = yield* Chunk.makeRunner(table, { ...settings, concurrency: 3 })
      const chunk = (index: number) => ({
        batchId: "c",
        index,
        items: Array.from({ length: 6 }, (_, i) => item(index * 6 + i))
      })
      yield* Effect.forEach([0, 1, 2], (index) => runner.run(chunk(index)), { concurrency: "unbounded" })
      const requests = yield* gateway.requests
      assert.strictEqual(requests.length, 18)
      const starts = requests.map((request) => request.receivedAt).sort((a, b) => a - b)
      for (let i = 3; i < starts.length; i++) assert.isAtLeast(starts[i] - starts[i - 3], 40)
    }).pipe(Effect.provide(onMock({ fault: Fault.delay(50) }))))
})

describe("BatchStore", () => {
  it.live("makes Batch.run resumable: finished keys are skipped, their results kept with their metadata", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.MockGateway
      const { rows, table } = memoryTable()
      const store = BatchStore.fromTable(table, "s")
      const items = Stream.range(0, 4).pipe(Stream.map(item))
      const first = yield* Batch.run(items).pipe(Stream.runCollect, Effect.provideService(Batch.Store, store))
      assert.strictEqual(first.length, 5)
      const again = yield* Batch.run(items).pipe(Stream.runCollect, Effect.provideService(Batch.Store, store))
      assert.deepStrictEqual(
        EffectChunk.toReadonlyArray(again).map((result) => result.outcome._tag),
        Array(5).fill("Skipped")
      )
      assert.strictEqual((yield* gateway.requests).length, 5)
      const stored = rows("s").get("key-2")!
      const decoded = ResultCodec.decode("key-2", 2, stored.status as "succeeded", stored.result as ResultCodec.Stored)
      assert.strictEqual(decoded.outcome._tag, "Succeeded")
      const outcome = decoded.outcome as Batch.Succeeded<{ choices: ReadonlyArray<unknown> }>
      assert.strictEqual(outcome.value.choices.length, 1)
      assert.strictEqual(outcome.meta?.status, 200)
      assert.isString(outcome.meta?.requestId)
    }).pipe(Effect.provide(onMock())))
})
