import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Effect, Either, Fiber, Layer, Option, Redacted, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const weatherTool: ChatCompletionRequest.Tool = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"]
    }
  }
}

const ask = (content: string, extra: Partial<ChatCompletionRequest.ChatCompletionRequest> = {}) => ({
  model: "GPT 5.4 mini",
  messages: [{ role: "user" as const, content }],
  ...extra
})

const nexos = NexosClient.NexosClient
const gateway = MockGateway.MockGateway

describe("client against the embedded gateway (real sockets)", () => {
  it.scopedLive("a completion decodes with usage, cost and response metadata", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const completion = yield* client.chat.completions.create(ask("Say hello"))
      assert.isAbove(completion.choices[0]!.message.content!.length, 0)
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      assert.isAbove(completion.usage!.total_tokens, 0)
      assert.isAbove(completion.usage!.nexos_credits_cost!, 0)
      const meta = Option.getOrThrow(ResponseMeta.get(completion))
      assert.strictEqual(meta.status, 200)
      assert.isString(meta.requestId)
      const [received] = yield* (yield* gateway).requests
      assert.notInclude(received!.headers["authorization"], "mock-key")
      assert.include(received!.headers["authorization"], "<redacted>")
      assert.strictEqual(received!.headers["user-agent"], NexosClient.defaultUserAgent)
      assert.deepStrictEqual(received!.body, ask("Say hello"))
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a stream yields every event kind, and accumulates to the non-streaming shape", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const request = ask("Weather in Paris?", { tools: [weatherTool], reasoning_effort: "low" })
      const search = ask("Search the web for the weather in Paris.", { tools: [{ type: "web_search" }] })
      const toolEvents = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chat.completions.stream(request)))
      const searchEvents = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chat.completions.stream(search)))
      const events = [...toolEvents, ...searchEvents]
      const tags = new Set(events.map((e) => e._tag))
      for (const tag of ["Metadata", "TextDelta", "ReasoningDelta", "ToolCallStart", "ToolCallDelta", "ToolCall"]) {
        assert.isTrue(tags.has(tag as never), `missing ${tag} in ${[...tags].join(",")}`)
      }
      for (const tag of ["Citation", "Usage", "Finish"]) assert.isTrue(tags.has(tag as never), `missing ${tag}`)
      for (const run of [toolEvents, searchEvents]) {
        assert.strictEqual(run[0]!._tag, "Metadata")
        assert.strictEqual(run.at(-1)!._tag, "Usage")
      }
      const call = events.find((e) => e._tag === "ToolCall")!
      assert.isTrue(call._tag === "ToolCall" && Either.isRight(call.parsed))
      if (call._tag === "ToolCall" && Either.isRight(call.parsed)) {
        const args = call.parsed.right as { city: unknown; unit: unknown }
        assert.strictEqual(call.name, "get_weather")
        assert.isString(args.city)
        assert.include(["celsius", "fahrenheit"], args.unit)
      }
      const text = searchEvents.flatMap((e) => (e._tag === "TextDelta" ? [e.delta] : [])).join("")
      assert.isTrue(searchEvents.some((e) => e._tag === "Citation" && e.url.startsWith("http")))
      for (const e of searchEvents) {
        if (e._tag === "Citation" && e.startIndex !== undefined && e.endIndex !== undefined) {
          assert.isAbove(text.slice(e.startIndex, e.endIndex).length, 0)
        }
      }
      const accumulated = yield* ChatStream.accumulate(client.chat.completions.streamChunks(search))
      assert.strictEqual(accumulated.choices[0]!.message.content, text)
      assert.isAbove(accumulated.choices[0]!.message.annotations!.length, 0)
      const withTools = yield* ChatStream.accumulate(client.chat.completions.streamChunks(request))
      assert.strictEqual(withTools.choices[0]!.message.tool_calls?.[0]?.function.name, "get_weather")
      assert.strictEqual(withTools.choices[0]!.finish_reason, "tool_calls")
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a refusal streams as RefusalDelta", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      yield* (yield* gateway).enqueue(Reply.completion({ refusal: "I can't help with that." }))
      const refusal = yield* client.chat.completions.stream(ask("something bad")).pipe(
        Stream.filterMap((e) => (e._tag === "RefusalDelta" ? Option.some(e.delta) : Option.none())),
        Stream.mkString
      )
      assert.strictEqual(refusal, "I can't help with that.")
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("retries honour Retry-After and send the retry count", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.failFirst(2, Fault.rateLimited({ retryAfterMs: 60 })))
      const completion = yield* client.chat.completions.create(ask("hi"))
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      const requests = yield* gw.requests
      assert.strictEqual(requests.length, 3)
      assert.isAtLeast(requests[1]!.receivedAt - requests[0]!.receivedAt, 55)
      assert.isAtLeast(requests[2]!.receivedAt - requests[1]!.receivedAt, 55)
      assert.deepStrictEqual(requests.map((r) => r.headers["x-nexos-retry-count"]), [undefined, "1", "2"])
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a stalled stream fails with the idle Timeout after the events that arrived", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      yield* (yield* gateway).setFault(Fault.stall(4))
      const seen: Array<string> = []
      const error = yield* client.chat.completions.stream(ask("hi")).pipe(
        Stream.runForEach((e) => Effect.sync(() => seen.push(e._tag))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error._tag === "Timeout" && error.phase, "idle")
      assert.isTrue(seen.includes("TextDelta"))
    }).pipe(Effect.provide(clientOnMock({}, { idleTimeout: "300 millis" }))))

  it.scopedLive("a connection dropped mid-stream is an error, never a short answer", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      yield* (yield* gateway).setFault(Fault.drop(3))
      const error = yield* Effect.flip(ChatStream.accumulate(client.chat.completions.streamChunks(ask("hi"))))
      assert.include(["StreamTruncated", "ConnectionError"], error._tag)
      const requests = yield* (yield* gateway).requests
      assert.strictEqual(requests.length, 1, "nothing is retried after the first byte")
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("an error frame fails the stream with StreamError and its code", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      yield* (yield* gateway).setFault(
        Fault.errorFrame({ after: 2, error: { message: "upstream overloaded", code: 503 }, event: true })
      )
      const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(ask("hi"))))
      assert.strictEqual(error._tag, "StreamError")
      assert.strictEqual(error.message, "upstream overloaded")
      assert.strictEqual(error._tag === "StreamError" && error.code, 503)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("interrupting the consumer closes the connection (the gateway sees the disconnect)", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.drip(20))
      const fiber = yield* client.chat.completions.stream(ask("tell me a long story")).pipe(
        Stream.take(3),
        Stream.runDrain,
        Effect.zipRight(Effect.never),
        Effect.fork
      )
      yield* gw.awaitRequests(1)
      yield* Effect.sleep("150 millis")
      yield* Fiber.interrupt(fiber)
      const disconnect = yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(disconnect.path, "/v1/chat/completions")
    }).pipe(Effect.provide(clientOnMock({ answer: "word ".repeat(400) }))))

  it.scopedLive("a wrong key is an AuthenticationError; an invalid request never reaches the gateway", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const invalid = yield* Effect.flip(client.chat.completions.create(ask("x", { temperature: 3 })))
      assert.strictEqual(invalid._tag, "InvalidRequest")
      assert.strictEqual((yield* gw.requests).length, 0)
      const auth = yield* Effect.flip(
        Effect.flatMap(nexos, (c) => c.chat.completions.create(ask("x"))).pipe(
          Effect.provide(
            NexosClient.layer({ apiKey: Redacted.make("wrong-key"), baseUrl: gw.url }).pipe(
              Layer.provide(NodeHttpClient.layerUndici)
            )
          )
        )
      )
      assert.strictEqual(auth._tag, "AuthenticationError")
      assert.strictEqual((yield* gw.requests).length, 1)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("models.list and embeddings.create work end to end", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const models = yield* client.models.list()
      assert.isAbove(models.data.length, 0)
      const embeddings = yield* client.embeddings.create({ model: models.data[0]!.id, input: ["a", "b"] })
      assert.strictEqual(embeddings.data.length, 2)
      assert.isAbove((embeddings.data[0]!.embedding as ReadonlyArray<number>).length, 0)
    }).pipe(Effect.provide(clientOnMock())))
})
