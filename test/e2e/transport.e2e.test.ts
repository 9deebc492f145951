import { assert, describe, it } from "@effect/vitest"
import type * as ChatEvent from "@nexos-effect/client/ChatEvent"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as NexosError from "@nexos-effect/client/NexosError"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Effect, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const ask = (content: string) => ({ model: "GPT 5.4 mini", messages: [{ role: "user" as const, content }] })

const nexos = NexosClient.NexosClient
const gateway = MockGateway.MockGateway

describe("gateway answers with status 200 that are errors (real sockets)", () => {
  it.scopedLive("a 200 error body is its typed error, retried like its class, then the completion", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const limited = { error: { message: "Rate limit reached for requests", type: "rate_limit_error" } }
      yield* gw.queueFaults(Fault.status(200, { body: limited, headers: { "retry-after-ms": "20" } }))
      const completion = yield* client.chat.completions.create(ask("hi"))
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      assert.strictEqual((yield* gw.requests).length, 2)
      yield* gw.queueFaults(Fault.status(200, { body: { error: { message: "Model not found", code: 100110 } } }))
      const error = yield* Effect.flip(client.chat.completions.create(ask("hi")))
      assert.strictEqual(error._tag, "NotFound")
      assert.strictEqual(error.message, "HTTP 200 with an error body: Model not found")
      assert.strictEqual(NexosError.code(error), 100110)
      assert.match(NexosError.requestId(error) ?? "", /^req_mock_/)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a stream answered with a JSON completion gives the events of the same answer streamed", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const replies = [
        Reply.Generate.make({
          reasoning: "Check the weather.",
          toolCalls: [{ name: "get_weather", arguments: { city: "Paris" }, id: "call_1" }]
        }),
        Reply.Generate.make({
          text: "Paris is sunny today, says Weather.",
          citations: [{ url: "https://weather.example/paris", title: "Weather" }]
        })
      ]
      const events = (stream: Stream.Stream<ChatEvent.ChatEvent, NexosError.NexosError>) =>
        Effect.map(Stream.runCollect(stream), (all) => {
          const list = Chunk.toReadonlyArray(all)
          const join = (tag: "TextDelta" | "ReasoningDelta") =>
            list.flatMap((e) => e._tag === tag ? [e.delta] : []).join("")
          return {
            first: list[0]?._tag,
            text: join("TextDelta"),
            reasoning: join("ReasoningDelta"),
            calls: list.flatMap((e) => e._tag === "ToolCall" ? [[e.index, e.id, e.name, e.arguments]] : []),
            citations: list.flatMap((e) => e._tag === "Citation" ? [e.url] : []),
            finish: list.flatMap((e) => e._tag === "Finish" ? [e.rawReason] : []),
            usage: list.flatMap((e) => e._tag === "Usage" ? [e.usage.total_tokens] : []),
            last: list.at(-1)?._tag
          }
        })
      for (const reply of replies) {
        yield* gw.enqueue(reply)
        const streamed = yield* events(client.chat.completions.stream(ask("weather?")))
        yield* gw.enqueue(reply)
        const completion = yield* client.chat.completions.create(ask("weather?"))
        yield* gw.enqueue(Reply.Json.make({ body: JSON.parse(JSON.stringify(completion)) }))
        const fromJson = yield* events(client.chat.completions.stream(ask("weather?")))
        assert.deepStrictEqual(fromJson, streamed)
        assert.strictEqual(streamed.first, "Metadata")
        assert.strictEqual(streamed.last, "Usage")
        yield* gw.enqueue(Reply.Json.make({ body: JSON.parse(JSON.stringify(completion)) }))
        const accumulated = yield* ChatStream.accumulate(client.chat.completions.streamChunks(ask("weather?")))
        const withoutEmpty = (value: unknown) =>
          JSON.parse(JSON.stringify(value, (key, v) => key === "annotations" && v.length === 0 ? undefined : v))
        assert.deepStrictEqual(withoutEmpty(accumulated), withoutEmpty(completion))
      }
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a stream answered with a JSON error body is its typed error, never StreamTruncated", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(
        Fault.status(200, { body: { error: { message: "Invalid API key", code: "invalid_api_key" } } })
      )
      const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(ask("hi"))))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, "Invalid API key")
      assert.strictEqual((yield* gw.requests).length, 1)
      yield* gw.setFault(undefined)
      yield* gw.enqueue(
        Reply.Sse.make({ body: JSON.stringify({ error: { message: "quota", code: "insufficient_quota" } }) })
      )
      const mislabelled = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(ask("hi"))))
      assert.strictEqual(mislabelled._tag, "QuotaExceeded")
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a redirect is UnexpectedStatus, not BadRequest; a 501 is sent once", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.status(307, { body: "", headers: { location: "https://elsewhere.example/v1" } }))
      const redirect = yield* Effect.flip(client.chat.completions.create(ask("hi")))
      assert.strictEqual(redirect._tag, "UnexpectedStatus")
      assert.strictEqual(redirect._tag === "UnexpectedStatus" && redirect.location, "https://elsewhere.example/v1")
      yield* gw.setFault(Fault.status(501))
      const notImplemented = yield* Effect.flip(client.chat.completions.create(ask("hi")))
      assert.strictEqual(notImplemented._tag, "ServerError")
      assert.strictEqual((yield* gw.requests).length, 2)
    }).pipe(Effect.provide(clientOnMock())))
})

describe("timeouts and deadlines (real sockets)", () => {
  it.scopedLive("a stream that only sends `: ping` fails with the first-chunk Timeout and closes the socket", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.keepAlive(30))
      const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(ask("hi"))))
      assert.strictEqual(error._tag, "Timeout")
      if (error._tag !== "Timeout") return
      assert.strictEqual(error.phase, "first-chunk")
      assert.isTrue(error.afterFirstByte)
      assert.isAbove(error.bodyBytes ?? 0, 0)
      assert.strictEqual((yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))).eventsSent, 0)
      assert.strictEqual((yield* gw.requests).length, 1)
    }).pipe(Effect.provide(clientOnMock({}, { firstChunkTimeout: "300 millis", idleTimeout: "100 millis" }))))

  it.scopedLive("keep-alives after data keep a stream past idleTimeout; the deadline ends it", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.keepAlive(20, 3))
      const seen: Array<string> = []
      const error = yield* client.chat.completions.stream(ask("hi")).pipe(
        Stream.runForEach((e) => Effect.sync(() => seen.push(e._tag))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error._tag === "Timeout" && error.phase, "deadline")
      assert.isTrue(error._tag === "Timeout" && error.afterFirstByte)
      assert.include(seen, "TextDelta")
      assert.strictEqual((yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))).eventsSent, 3)
    }).pipe(Effect.provide(clientOnMock({}, { idleTimeout: "400 millis", deadline: "1500 millis" }))))

  it.scopedLive("a per-request deadline bounds a call whose response never comes", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.delay(5_000))
      const error = yield* Effect.flip(client.chat.completions.create(ask("hi"), { deadline: "200 millis" }))
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error._tag === "Timeout" && error.phase, "deadline")
      assert.isFalse(error._tag === "Timeout" && error.afterFirstByte)
      assert.strictEqual((yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))).eventsSent, 0)
    }).pipe(Effect.provide(clientOnMock())))
})
