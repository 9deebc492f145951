import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Batch from "@nexos-effect/client/Batch"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk, Deferred, Effect, Fiber, Layer, Stream, SubscriptionRef } from "effect"
import { clientOnMock } from "./layers.js"

const gateway = MockGateway.MockGateway

const chatLine = (id: string, content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "GPT 4.1 mini", messages: [{ role: "user", content }], ...extra }
  })

interface OutputLine {
  readonly id: string
  readonly custom_id: string
  readonly response: { readonly status_code: number; readonly request_id: string | null; readonly body: any } | null
  readonly error: { readonly code: string; readonly message: string } | null
  readonly nexos: { readonly attempts: number; readonly retryable?: boolean; readonly error?: string }
}

const readOutput = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
    Effect.map((text) => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as OutputLine))
  )

const quiet = { progressBar: false } as const

const layer = (options?: MockGateway.Options) => Layer.merge(clientOnMock(options), NodeFileSystem.layer)

describe("Batch.runFile: JSONL in, JSONL out (real sockets, real files)", () => {
  it.scopedLive("the OpenAI batch formats, a malformed line named by its number, embeddings, resume", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const gw = yield* gateway
      const dir = yield* fs.makeTempDirectoryScoped()
      const input = `${dir}/in.jsonl`
      const output = `${dir}/out.jsonl`
      yield* fs.writeFileString(
        input,
        [
          chatLine("a", "first question"),
          JSON.stringify({
            key: "b",
            request: { model: "GPT 4.1 mini", messages: [{ role: "user", content: "two" }] }
          }),
          "{ this is not json",
          "",
          chatLine("c", "too hot", { temperature: 3 }),
          JSON.stringify({ body: { model: "m", messages: [{ role: "user", content: "no id" }] } }),
          JSON.stringify({
            custom_id: "e",
            url: "/v1/embeddings",
            body: { model: "text-embedding-3-small", input: ["one", "two"] }
          }),
          chatLine("d", "last question")
        ].join("\n") + "\n"
      )
      const summary = yield* Batch.runFile(input, output, quiet)
      assert.deepStrictEqual(summary, { total: 7, succeeded: 4, failed: 3, skipped: 0, notDone: 0 })
      const lines = yield* readOutput(output)
      assert.deepStrictEqual(lines.map((l) => l.custom_id).sort(), ["a", "b", "c", "d", "e", "line-3", "line-6"])
      const byId = new Map(lines.map((l) => [l.custom_id, l]))
      const a = byId.get("a")!
      assert.strictEqual(a.response!.status_code, 200)
      assert.strictEqual(a.error, null)
      assert.match(a.response!.request_id!, /^req_mock_/)
      assert.strictEqual(a.id, `batch_req_${a.response!.request_id}`)
      assert.strictEqual(a.response!.body.object, "chat.completion")
      assert.isAbove(a.response!.body.choices[0].message.content.length, 0)
      assert.strictEqual(a.nexos.attempts, 1)
      const malformed = byId.get("line-3")!
      assert.strictEqual(malformed.response, null)
      assert.strictEqual(malformed.error!.code, "InvalidRequest")
      assert.include(malformed.error!.message, "line 3")
      assert.strictEqual(malformed.nexos.retryable, false)
      assert.include(byId.get("line-6")!.error!.message, "line 6: missing \"custom_id\"")
      const hot = byId.get("c")!
      assert.include(hot.error!.message, "line 5 (c)")
      assert.include(hot.error!.message, "temperature")
      const e = byId.get("e")!
      assert.strictEqual(e.response!.body.object, "list")
      assert.strictEqual(e.response!.body.data.length, 2)
      const sent = (yield* gw.requests).map((r) => r.path).sort()
      assert.deepStrictEqual(sent, [
        "/v1/chat/completions",
        "/v1/chat/completions",
        "/v1/chat/completions",
        "/v1/embeddings"
      ])

      const again = yield* Batch.runFile(input, output, quiet)
      assert.deepStrictEqual(again, { total: 7, succeeded: 0, failed: 0, skipped: 7, notDone: 0 })
      assert.strictEqual((yield* gw.requests).length, 4)
      assert.strictEqual((yield* readOutput(output)).length, 7)
    }).pipe(Effect.provide(layer())))

  it.scopedLive("a torn last line of the results file is dropped and its key runs again", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const gw = yield* gateway
      const dir = yield* fs.makeTempDirectoryScoped()
      const input = `${dir}/in.jsonl`
      const output = `${dir}/out.jsonl`
      yield* fs.writeFileString(input, [chatLine("a", "one"), chatLine("b", "two"), chatLine("c", "three")].join("\n"))
      yield* Batch.runFile(input, output, quiet)
      const full = yield* fs.readFileString(output)
      const [first, second] = full.split("\n")
      const keep = [first, second].filter((l) => !l!.includes("\"custom_id\":\"c\""))
      const torn = full.split("\n").find((l) => l.includes("\"custom_id\":\"c\""))!
      yield* fs.writeFileString(output, `${keep.join("\n")}\n${torn.slice(0, 40)}`)
      const before = (yield* gw.requests).length
      const summary = yield* Batch.runFile(input, output, quiet)
      assert.deepStrictEqual(summary, { total: 3, succeeded: 1, failed: 0, skipped: 2, notDone: 0 })
      const after = yield* gw.requests
      assert.strictEqual(after.length, before + 1)
      assert.deepStrictEqual(
        (after[before]!.body as { messages: Array<{ content: string }> }).messages[0]!.content,
        "three"
      )
      const lines = yield* readOutput(output)
      assert.deepStrictEqual(lines.map((l) => l.custom_id).sort(), ["a", "b", "c"])
    }).pipe(Effect.provide(layer())))

  it.scopedLive("stopped mid-run: finished lines are in the file, the next run does the rest, each key once", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const gw = yield* gateway
      const dir = yield* fs.makeTempDirectoryScoped()
      const input = `${dir}/in.jsonl`
      const output = `${dir}/out.jsonl`
      yield* fs.writeFileString(
        input,
        Array.from({ length: 40 }, (_, i) => chatLine(`k${i}`, `question ${i}`)).join("\n")
      )
      yield* gw.setFault({ delayMs: 300, times: 1_000_000 })
      const progress = yield* Batch.makeProgress
      const stop = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        Batch.runFile(input, output, { ...quiet, concurrency: 4, progress, stopWhen: Deferred.await(stop) })
      )
      yield* progress.changes.pipe(Stream.takeUntil((p) => p.succeeded >= 6), Stream.runDrain)
      yield* Deferred.succeed(stop, void 0)
      const first = yield* Fiber.join(fiber)
      assert.strictEqual(first.total, 40)
      assert.strictEqual(first.succeeded + first.notDone, 40)
      assert.isAtLeast(first.notDone, 20)
      const written = yield* readOutput(output)
      assert.strictEqual(written.length, first.succeeded)
      const final = yield* SubscriptionRef.get(progress)
      assert.isTrue(final.finished)
      assert.strictEqual(final.done + final.notDone, 40)

      yield* gw.setFault(undefined)
      const second = yield* Batch.runFile(input, output, quiet)
      assert.deepStrictEqual(second, {
        total: 40,
        succeeded: first.notDone,
        failed: 0,
        skipped: first.succeeded,
        notDone: 0
      })
      const lines = yield* readOutput(output)
      assert.strictEqual(lines.length, 40)
      assert.strictEqual(new Set(lines.map((l) => l.custom_id)).size, 40)
    }).pipe(Effect.provide(layer())))

  it.scopedLive("the JSONL store under Batch.run: results recorded as they finish, a missing input is a typed error", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const path = `${dir}/results.jsonl`
      const items = Stream.range(0, 19).pipe(Stream.map((i): Batch.Item => ({
        key: `k${i}`,
        request: { model: "m", messages: [{ role: "user", content: `p${i}` }] }
      })))
      const results = yield* Batch.run(items, { concurrency: 5 }).pipe(
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray),
        Effect.provide(Batch.layerStoreJsonl(path))
      )
      assert.strictEqual(results.length, 20)
      const lines = yield* readOutput(path)
      assert.deepStrictEqual(lines.map((l) => l.custom_id).sort(), results.map((r) => r.key).sort())
      const missing = yield* Effect.flip(Batch.runFile(`${dir}/nope.jsonl`, `${dir}/out.jsonl`, quiet))
      assert.strictEqual(missing._tag, "BatchInputError")
      assert.include(missing.message, "nope.jsonl")
    }).pipe(Effect.provide(layer())))
})
