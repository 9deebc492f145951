import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import { Chunk, Effect, Either, Option, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const streams = path.resolve(root, "test/fixtures/real-world/streams")
const encoder = new TextEncoder()

const bytesOf = (file: string) =>
  Stream.fromIterable([encoder.encode(fs.readFileSync(path.join(streams, file), "utf8"))]).pipe(Stream.rechunk(61))

describe("ChatStream.eventsWithCompletion", () => {
  it.effect("on every recorded stream: the events of `events`, then the completion of `accumulate`", () =>
    Effect.gen(function*() {
      let compared = 0
      for (const file of fs.readdirSync(streams).filter((f) => f.endsWith(".sse"))) {
        const chunks = ChatStream.decodeSse(bytesOf(file), { requireDone: false })
        const expectedEvents = yield* Effect.either(Stream.runCollect(ChatStream.events(chunks)))
        const expectedCompletion = yield* Effect.either(ChatStream.accumulate(chunks))
        const parts = yield* Effect.either(Stream.runCollect(ChatStream.eventsWithCompletion(chunks)))
        if (Either.isLeft(expectedEvents)) {
          assert.isTrue(Either.isLeft(parts), file)
          continue
        }
        const all = Chunk.toReadonlyArray(Either.getOrThrow(parts))
        const last = all[all.length - 1]!
        assert.deepStrictEqual(all.slice(0, -1), [...Chunk.toReadonlyArray(expectedEvents.right)], file)
        assert.deepStrictEqual(last, { _tag: "Completed", completion: Either.getOrThrow(expectedCompletion) }, file)
        compared++
      }
      assert.isAbove(compared, 10)
    }))

  it.effect("a failing stream emits its events and no Completed", () =>
    Effect.gen(function*() {
      const chunks = ChatStream.decodeSse(bytesOf("s007-openai-real-midstream-error.sse"))
      const seen: Array<string> = []
      const result = yield* Effect.either(
        Stream.runForEach(ChatStream.eventsWithCompletion(chunks), (part) => Effect.sync(() => seen.push(part._tag)))
      )
      assert.isTrue(Either.isLeft(result))
      assert.include(seen, "TextDelta")
      assert.notInclude(seen, "Completed")
    }))

  it.effect("the metadata on the first chunk ends up on Completed and on its completion", () =>
    Effect.gen(function*() {
      const meta = ResponseMeta.fromHeaders(200, { "x-request-id": "req_1" })
      const chunk = {
        id: "c1",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta: { content: "hi" }, finish_reason: "stop" }]
      }
      const parts = yield* Stream.runCollect(
        ChatStream.eventsWithCompletion(Stream.make(ResponseMeta.attach({ ...chunk }, meta), { ...chunk, choices: [] }))
      )
      const last = Chunk.unsafeLast(parts)
      assert.strictEqual(last._tag === "Completed" ? last.meta?.requestId : undefined, "req_1")
      assert.strictEqual(
        last._tag === "Completed" ? Option.getOrThrow(ResponseMeta.get(last.completion)).requestId : undefined,
        "req_1"
      )
    }))
})
