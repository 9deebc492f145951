import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import { Chunk, Effect, Option, Redacted, Stream } from "effect"
import { completionBody, type FakeReply, makeFake } from "./fakeHttp.js"

const request: ChatCompletionRequest.ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] }

const headers = {
  "x-request-id": "req-7",
  "x-nexos-model-id": "uuid-7",
  "x-nexos-completion-time-ms": "42",
  "x-nexos-cache": "miss",
  "x-ratelimit-remaining-requests": "98",
  "x-ratelimit-reset-tokens": "3s"
}

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta, finish_reason: finish }]
    })
  }\n\n`

const sse = [
  chunk({ role: "assistant", content: "<think>hmm</think>See [docs](https://example.com/docs)." }),
  chunk({}, "stop"),
  "data: [DONE]\n\n"
]

const streamReply: FakeReply = { pieces: sse, headers: { "content-type": "text/event-stream", ...headers } }

const withClient = (script: ReadonlyArray<FakeReply>) =>
  Effect.gen(function*() {
    const fake = yield* makeFake(script)
    return yield* NexosClient.make({ apiKey: Redacted.make("k") }).pipe(Effect.provide(fake.layer))
  })

const assertMeta = (meta: ResponseMeta.ResponseMeta | undefined, status = 200) => {
  assert.isDefined(meta)
  assert.strictEqual(meta!.status, status)
  assert.strictEqual(meta!.requestId, "req-7")
  assert.strictEqual(meta!.nexosModelId, "uuid-7")
  assert.strictEqual(meta!.completionTimeMs, 42)
  assert.strictEqual(meta!.cache, "miss")
  assert.deepStrictEqual(meta!.rateLimit, {
    "x-ratelimit-remaining-requests": "98",
    "x-ratelimit-reset-tokens": "3s"
  })
  assert.strictEqual(meta!.headers["x-request-id"], "req-7")
}

const metaOf = (value: object) => Option.getOrUndefined(ResponseMeta.get(value))

describe("ResponseMeta on every path", () => {
  it.effect("create: the accessor, and createWithMeta: the explicit pair that a spread cannot lose", () =>
    Effect.gen(function*() {
      const client = yield* withClient([{ body: completionBody, headers }])
      const completion = yield* client.chat.completions.create(request)
      assertMeta(metaOf(completion))
      assert.notInclude(JSON.stringify(completion), "req-7")
      assert.deepStrictEqual(Object.keys(completion).sort(), ["choices", "created", "id", "model", "object", "usage"])
      const { completion: paired, meta } = yield* client.chat.completions.createWithMeta(request)
      assertMeta(meta)
      assert.strictEqual(paired.choices[0]!.message.content, "hi")
      const spread = { ...paired, model: "other" }
      assert.isTrue(Option.isNone(ResponseMeta.get(spread)))
      assertMeta(metaOf(ResponseMeta.copy(completion, { ...completion, model: "other" })))
    }))

  it.effect("streamChunks: the first chunk carries it, and accumulate and events pick it up", () =>
    Effect.gen(function*() {
      const client = yield* withClient([streamReply])
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chat.completions.streamChunks(request)))
      assertMeta(metaOf(chunks[0]!))
      const accumulated = yield* ChatStream.accumulate(client.chat.completions.streamChunks(request))
      assertMeta(metaOf(accumulated))
      assert.strictEqual(
        accumulated.choices[0]!.message.content,
        "<think>hmm</think>See [docs](https://example.com/docs)."
      )
      const events = Chunk.toReadonlyArray(
        yield* Stream.runCollect(ChatStream.events(client.chat.completions.streamChunks(request)))
      )
      const first = events[0]!
      assert.strictEqual(first._tag, "Metadata")
      assertMeta(first._tag === "Metadata" ? first.meta : undefined)
    }))

  it.effect("stream: the Metadata event has the meta and the headers", () =>
    Effect.gen(function*() {
      const client = yield* withClient([streamReply])
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chat.completions.stream(request)))
      const metadata = events.filter((e) => e._tag === "Metadata")
      assert.strictEqual(metadata.length, 1)
      assert.strictEqual(events[0]!._tag, "Metadata")
      const first = metadata[0]!
      assertMeta(first.meta)
      assert.strictEqual(first.headers?.["x-nexos-model-id"], "uuid-7")
    }))

  it.effect("postProcess keeps it, on a streamed and on a non-streamed completion", () =>
    Effect.gen(function*() {
      const client = yield* withClient([streamReply, { body: completionBody, headers }])
      const streamed = ChatStream.postProcess(
        yield* ChatStream.accumulate(client.chat.completions.streamChunks(request))
      )
      assert.strictEqual(streamed.choices[0]!.message.content, "See .")
      assert.strictEqual(streamed.choices[0]!.message.reasoning_content, "hmm")
      assertMeta(metaOf(streamed))
      assertMeta(metaOf(ChatStream.postProcess(yield* client.chat.completions.create(request))))
    }))

  it.effect("chunks and completions built without the client carry none", () =>
    Effect.gen(function*() {
      const bytes = Stream.make(new TextEncoder().encode(sse.join("")))
      const completion = yield* ChatStream.accumulate(ChatStream.decodeSse(bytes))
      assert.isTrue(Option.isNone(ResponseMeta.get(completion)))
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(ChatStream.events(ChatStream.decodeSse(bytes))))
      const first = events[0]!
      assert.isTrue(first._tag === "Metadata" && first.meta === undefined && first.headers === undefined)
    }))
})
