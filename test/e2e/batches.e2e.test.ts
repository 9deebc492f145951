import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as NexosError from "@nexos-effect/client/NexosError"
import * as Upload from "@nexos-effect/client/Upload"
import type * as Batches from "@nexos-effect/schema/Batches"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk, Effect, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const nexos = NexosClient.NexosClient
const gateway = MockGateway.MockGateway

const line = (customId: string, model = "GPT 4.1 mini", content = `Question ${customId}`) =>
  JSON.stringify({
    custom_id: customId,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model, messages: [{ role: "user", content }] }
  })

const uploadLines = (lines: ReadonlyArray<string>) =>
  Effect.flatMap(
    nexos,
    (client) => client.files.upload(Upload.fromText(lines.join("\n") + "\n", { filename: "input.jsonl" }))
  )

/** Polls a batch until it is final; returns every status seen, in order, and the final batch. */
const awaitFinal = (id: string, first?: string) =>
  Effect.gen(function*() {
    const client = yield* nexos
    const seen: Array<string> = first === undefined ? [] : [first]
    const poll: Effect.Effect<Batches.Batch, NexosError.NexosError> = Effect.flatMap(client.batches.get(id), (b) => {
      if (seen.at(-1) !== b.status) seen.push(b.status)
      return ["completed", "failed", "expired", "cancelled"].includes(b.status)
        ? Effect.succeed(b)
        : Effect.zipRight(Effect.sleep("5 millis"), poll)
    })
    const final = yield* Effect.timeoutFail(poll, { duration: "20 seconds", onTimeout: () => "batch never ended" })
    return { seen, final }
  })

/** Whether `seen` follows `order` (a subsequence of it). */
const inOrder = (seen: ReadonlyArray<string>, order: ReadonlyArray<string>) => {
  let at = 0
  for (const s of seen) {
    const i = order.indexOf(s, at)
    if (i < 0) return false
    at = i + 1
  }
  return true
}

const readLines = (fileId: string | undefined) =>
  fileId === undefined ? Effect.succeed([]) : Effect.flatMap(nexos, (client) =>
    client.files.content(fileId).pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.filter((l) => l !== ""),
      Stream.map((l) => JSON.parse(l) as Batches.OutputLine),
      Stream.runCollect,
      Effect.map(Chunk.toReadonlyArray)
    ))

describe("the Batch API against the embedded gateway (real sockets)", () => {
  it.scopedLive("a batch runs asynchronously to completed, with output and error files in the OpenAI format", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const input = yield* uploadLines([line("a"), line("b"), line("bad", "No Such Model"), line("c")])
      const created = yield* client.batches.create({
        input_file_id: input.id,
        endpoint: "/v1/chat/completions",
        metadata: { job: "e2e" }
      })
      assert.strictEqual(created.status, "validating")
      assert.strictEqual(created.completion_window, "24h")
      assert.deepStrictEqual(created.metadata, { job: "e2e" })
      const { final, seen } = yield* awaitFinal(created.id, created.status)
      assert.isTrue(inOrder(seen, ["validating", "in_progress", "finalizing", "completed"]), seen.join(" -> "))
      assert.strictEqual(seen.at(-1), "completed")
      assert.deepStrictEqual({ ...final.request_counts }, { total: 4, completed: 3, failed: 1 })
      const outputs = yield* readLines(final.output_file_id)
      const errors = yield* readLines(final.error_file_id)
      assert.deepStrictEqual(outputs.map((o) => o.custom_id).sort(), ["a", "b", "c"])
      for (const o of outputs) {
        assert.strictEqual(o.response!.status_code, 200)
        const body = o.response!.body as { choices: Array<{ message: { content: string } }> }
        assert.include(body.choices[0]!.message.content, `Question ${o.custom_id}`)
      }
      assert.deepStrictEqual(errors.map((e) => [e.custom_id, e.response?.status_code]), [["bad", 404]])
      const sent = (yield* (yield* gateway).requests).find((r) => r.path === "/v1/batches")!
      assert.deepStrictEqual(sent.body, {
        completion_window: "24h",
        input_file_id: input.id,
        endpoint: "/v1/chat/completions",
        metadata: { job: "e2e" }
      })
    }).pipe(Effect.provide(clientOnMock({ rejectUnknownModels: true, models: ["GPT 4.1 mini"] }))))

  it.scopedLive("failed on request and on an invalid input file; expired with batch_expired error lines", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const input = yield* uploadLines([line("a"), line("b"), line("c")])
      const failed = yield* client.batches.create({
        input_file_id: input.id,
        endpoint: "/v1/chat/completions",
        metadata: { mock_outcome: "failed" }
      })
      const invalidFile = yield* uploadLines([line("x"), "{not json", line("x")])
      const invalid = yield* client.batches.create({ input_file_id: invalidFile.id, endpoint: "/v1/chat/completions" })
      const expiring = yield* client.batches.create({
        input_file_id: input.id,
        endpoint: "/v1/chat/completions",
        metadata: { mock_outcome: "expired", mock_expire_after: "1" }
      })

      const f = (yield* awaitFinal(failed.id)).final
      assert.strictEqual(f.status, "failed")
      assert.strictEqual(f.errors!.data[0]!.code, "mock_failed")
      const i = (yield* awaitFinal(invalid.id)).final
      assert.strictEqual(i.status, "failed")
      assert.deepStrictEqual(i.errors!.data.map((e) => [e.code, e.line]), [
        ["invalid_json_line", 2],
        ["duplicate_custom_id", 3]
      ])
      const e = (yield* awaitFinal(expiring.id)).final
      assert.strictEqual(e.status, "expired")
      assert.deepStrictEqual((yield* readLines(e.output_file_id)).map((o) => o.custom_id), ["a"])
      const expired = yield* readLines(e.error_file_id)
      assert.deepStrictEqual(expired.map((x) => [x.custom_id, x.error?.code]).sort(), [
        ["b", "batch_expired"],
        ["c", "batch_expired"]
      ])
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("list pages newest first; cancel ends in cancelled; bad requests never leave the client", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const input = yield* uploadLines(Array.from({ length: 50 }, (_, i) => line(`k${i}`)))
      const ids: Array<string> = []
      for (let i = 0; i < 3; i++) {
        ids.push((yield* client.batches.create({ input_file_id: input.id, endpoint: "/v1/chat/completions" })).id)
      }
      const listed = yield* Stream.runCollect(client.batches.list({ limit: 2 }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((b) => b.id), [...ids].reverse())

      const cancelling = yield* client.batches.cancel(ids[2]!)
      assert.strictEqual(cancelling.status, "cancelling")
      const { final } = yield* awaitFinal(ids[2]!)
      assert.strictEqual(final.status, "cancelled")

      const gw = yield* gateway
      const before = (yield* gw.requests).length
      const wrongEndpoint = yield* Effect.flip(
        client.batches.create({ input_file_id: input.id, endpoint: "/v1/completions" as never })
      )
      assert.strictEqual(wrongEndpoint._tag, "InvalidRequest")
      assert.include(wrongEndpoint.message, "does not expose")
      const tooMuch = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]))
      const metadata = yield* Effect.flip(
        client.batches.create({ input_file_id: input.id, endpoint: "/v1/embeddings", metadata: tooMuch })
      )
      assert.include(metadata.message, "at most 16 pairs")
      assert.strictEqual((yield* Effect.flip(client.batches.get(" ")))._tag, "InvalidRequest")
      assert.strictEqual((yield* gw.requests).length, before)
    }).pipe(Effect.provide(clientOnMock({ batches: { stepMs: 40, requestsPerStep: 5 } }))))

  it.scopedLive("list and cancel outside the spec: a 404 or 405 is Unsupported; a missing batch stays NotFound", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const input = yield* uploadLines([line("a")])
      const batch = yield* client.batches.create({ input_file_id: input.id, endpoint: "/v1/chat/completions" })

      yield* gw.queueFaults({ status: 405, path: "/v1/batches" })
      const list = yield* Effect.flip(Stream.runDrain(client.batches.list()))
      assert.strictEqual(list._tag, "Unsupported")
      assert.include(list.message, "GET /v1/batches")

      yield* gw.queueFaults({ status: 404, path: `/v1/batches/${batch.id}/cancel` })
      const cancel = yield* Effect.flip(client.batches.cancel(batch.id))
      assert.strictEqual(cancel._tag, "Unsupported")
      if (cancel._tag === "Unsupported") assert.strictEqual(cancel.operation, "POST /v1/batches/{id}/cancel")

      const missing = yield* Effect.flip(client.batches.cancel("batch_nope"))
      assert.strictEqual(missing._tag, "NotFound")
      assert.include(missing.message, "batch_nope")
    }).pipe(Effect.provide(clientOnMock())))
})
