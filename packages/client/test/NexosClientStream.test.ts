import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import { Cause, Chunk, Effect, Exit, Fiber, Option, Redacted, Ref, Stream, TestClock } from "effect"
import { type FakeReply, makeFake, runWithTestClock } from "./fakeHttp.js"

const request: ChatCompletionRequest.ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] }

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
const usage = `data: ${
  JSON.stringify({ id: "c1", choices: [], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } })
}\n\n`
const sse = [
  chunk({ role: "assistant", content: "Hel" }),
  chunk({ content: "lo" }),
  chunk({}, "stop"),
  usage,
  "data: [DONE]\n\n"
]

const withClient = (script: ReadonlyArray<FakeReply>, options: Partial<NexosClient.Options> = {}) =>
  Effect.gen(function*() {
    const fake = yield* makeFake(script)
    const client = yield* NexosClient.make({ apiKey: Redacted.make("k"), ...options }).pipe(Effect.provide(fake.layer))
    return { client, seen: fake.seen }
  })

describe("NexosClient streaming", () => {
  it.effect("streams events, asking for stream and usage, and retries a 503 before the first byte", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([
        { status: 503 },
        { pieces: sse, headers: { "content-type": "text/event-stream", "x-request-id": "r1" } }
      ])
      const exit = yield* runWithTestClock(Stream.runCollect(client.chat.completions.stream(request)), "1 minute")
      const events = Chunk.toReadonlyArray(Exit.getOrElse(exit, () => Chunk.empty()))
      assert.deepStrictEqual(events.map((e) => e._tag), [
        "Metadata",
        "TextDelta",
        "TextDelta",
        "Finish",
        "Usage"
      ])
      const metadata = events[0]!
      assert.strictEqual(metadata._tag === "Metadata" && metadata.headers?.["x-request-id"], "r1")
      const all = yield* Ref.get(seen)
      assert.strictEqual(all.length, 2)
      const body = JSON.parse(all[1]!.body)
      assert.strictEqual(body.stream, true)
      assert.deepStrictEqual(body.stream_options, { include_usage: true })
      assert.strictEqual(all[1]!.request.headers["accept"], "text/event-stream")
    }))

  it.effect("accumulates streamChunks into the non-streaming shape", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ pieces: sse }])
      const completion = yield* ChatStream.accumulate(client.chat.completions.streamChunks(request))
      assert.strictEqual(completion.choices[0]!.message.content, "Hello")
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      assert.strictEqual(completion.usage?.total_tokens, 4)
    }))

  it.effect("create honours stream: true: streamed on the wire, accumulated into the completion", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([
        { pieces: sse, headers: { "content-type": "text/event-stream", "x-request-id": "r2" } }
      ])
      const { completion, meta } = yield* client.chat.completions.createWithMeta({ ...request, stream: true })
      assert.strictEqual(completion.choices[0]!.message.content, "Hello")
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      assert.strictEqual(completion.usage?.total_tokens, 4)
      assert.strictEqual(meta.requestId, "r2")
      const [sent] = yield* Ref.get(seen)
      assert.deepStrictEqual(JSON.parse(sent!.body), {
        ...request,
        stream: true,
        stream_options: { include_usage: true }
      })
      assert.strictEqual(sent!.request.headers["accept"], "text/event-stream")
      const viaCreate = yield* client.chat.completions.create({
        ...request,
        stream: true,
        stream_options: { include_usage: false }
      })
      assert.strictEqual(viaCreate.choices[0]!.message.content, "Hello")
      assert.strictEqual(Option.getOrThrow(ResponseMeta.get(viaCreate)).requestId, "r2")
      assert.deepStrictEqual(JSON.parse((yield* Ref.get(seen))[1]!.body).stream_options, { include_usage: false })
    }))

  it.effect("create with stream: false sends it; stream_options without stream: true is rejected before sending", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ body: { id: "c1", choices: [{ message: { content: "ok" } }] } }])
      const completion = yield* client.chat.completions.create({ ...request, stream: false })
      assert.strictEqual(completion.choices[0]!.message.content, "ok")
      assert.strictEqual(JSON.parse((yield* Ref.get(seen))[0]!.body).stream, false)
      const error = yield* Effect.flip(
        client.chat.completions.create({ ...request, stream: false, stream_options: { include_usage: true } })
      )
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.include(error.message, "stream_options: is only allowed with stream: true")
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
    }))

  it.effect("an error status before the stream is a tagged error", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 401, body: { error: { message: "bad key" } } }])
      const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(request)))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
    }))

  it.effect("fails with Timeout first-chunk when the body never starts, and is not retried after the headers", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ pieces: [], stall: true }], { firstChunkTimeout: "5 seconds" })
      const fiber = yield* Effect.fork(Effect.flip(Stream.runDrain(client.chat.completions.stream(request))))
      yield* TestClock.adjust("4999 millis")
      assert.isNull(yield* Fiber.poll(fiber).pipe(Effect.map((o) => o._tag === "None" ? null : o)))
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error._tag === "Timeout" && error.phase, "first-chunk")
      const all = yield* Ref.get(seen)
      assert.strictEqual(all.length, 1)
      assert.isTrue(all[0]!.signal.aborted, "the connection was closed")
    }))

  it.effect("fails with Timeout idle when the stream stalls mid-way, after the events that did arrive", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ pieces: sse.slice(0, 2), stall: true }], { idleTimeout: "3 seconds" })
      const received = yield* Ref.make<Array<string>>([])
      const fiber = yield* Effect.fork(
        client.chat.completions.stream(request).pipe(
          Stream.runForEach((e) => Ref.update(received, (r) => [...r, e._tag])),
          Effect.exit
        )
      )
      yield* TestClock.adjust("3 seconds")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      assert.isTrue(Option.isSome(error))
      const timeout = Option.getOrThrow(error)
      assert.strictEqual(timeout._tag, "Timeout")
      assert.strictEqual(timeout._tag === "Timeout" && timeout.phase, "idle")
      assert.deepStrictEqual(yield* Ref.get(received), ["Metadata", "TextDelta", "TextDelta"])
    }))

  it.effect("interrupting the consumer closes the connection", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ pieces: sse.slice(0, 1), stall: true }])
      const fiber = yield* Effect.fork(Stream.runDrain(client.chat.completions.stream(request)))
      yield* TestClock.adjust("10 millis")
      yield* Fiber.interrupt(fiber)
      assert.isTrue((yield* Ref.get(seen))[0]!.signal.aborted)
    }))

  it.effect("an invalid streaming request fails before sending", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ pieces: sse }])
      const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream({ ...request, messages: [] })))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.include(error.message, "messages")
      assert.strictEqual((yield* Ref.get(seen)).length, 0)
    }))
})
