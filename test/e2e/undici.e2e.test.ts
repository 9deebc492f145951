import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
import * as Upload from "@nexos-effect/client/Upload"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk, Effect, Fiber, Option, Redacted, Stream, Tracer } from "effect"
import { undiciClientOnMock } from "./layers.js"

const ask = (content: string) => ({ model: "GPT 5.4 mini", messages: [{ role: "user" as const, content }] })

const nexos = NexosClient.NexosClient
const gateway = MockGateway.MockGateway

const recordingTracer = () => {
  const spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown>; readonly spanId: string }> = []
  const tracer = Tracer.make({
    span(name, parent, context, _links, startTime, kind) {
      const attributes = new Map<string, unknown>()
      const spanId = (spans.length + 1).toString(16).padStart(16, "0")
      spans.push({ name, attributes, spanId })
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      return {
        _tag: "Span",
        name,
        spanId,
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links: [],
        sampled: true,
        kind,
        end(endTime, exit) {
          status = { _tag: "Ended", startTime, endTime, exit }
        },
        attribute(key, value) {
          attributes.set(key, value)
        },
        event() {},
        addLinks() {}
      }
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

describe("NexosClient.layerUndici against the embedded gateway (real sockets)", () => {
  it.scopedLive("create, stream, models and embeddings, with the response's metadata", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const completion = yield* client.chat.completions.create(ask("hi"))
      assert.strictEqual(completion.object, "chat.completion")
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      const meta = Option.getOrThrow(ResponseMeta.get(completion))
      assert.strictEqual(meta.status, 200)
      assert.match(meta.requestId ?? "", /^req_mock_/)
      const streamed = yield* ChatStream.accumulate(client.chat.completions.streamChunks(ask("hi")))
      assert.strictEqual(streamed.choices[0]!.message.content, completion.choices[0]!.message.content)
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chat.completions.stream(ask("hi"))))
      assert.strictEqual(events[0]!._tag, "Metadata")
      assert.isTrue(events.some((e) => e._tag === "TextDelta"))
      const models = yield* client.models.list()
      assert.isAbove(models.data.length, 0)
      const embeddings = yield* client.embeddings.create({ model: models.data[0]!.id, input: ["a", "b"] })
      assert.strictEqual(embeddings.data.length, 2)
      const requests = yield* (yield* gateway).requests
      assert.deepStrictEqual(requests.map((r) => r.headers["user-agent"]), Array(5).fill(NexosClient.defaultUserAgent))
    }).pipe(Effect.provide(undiciClientOnMock())))

  it.scopedLive("retries honour Retry-After and send the retry count", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.failFirst(2, Fault.rateLimited({ retryAfterMs: 60 })))
      const completion = yield* client.chat.completions.create(ask("hi"))
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      const requests = yield* gw.requests
      assert.deepStrictEqual(requests.map((r) => r.headers["x-nexos-retry-count"]), [undefined, "1", "2"])
      assert.isAtLeast(requests[1]!.receivedAt - requests[0]!.receivedAt, 55)
      yield* gw.setFault(Fault.status(400))
      const error = yield* Effect.flip(client.chat.completions.create(ask("hi")))
      assert.strictEqual(error._tag, "BadRequest")
      assert.strictEqual((yield* gw.requests).length, 4, "a 400 is not retried")
    }).pipe(Effect.provide(undiciClientOnMock({}, { retry: RetryPolicy.make({ initialDelay: "5 millis" }) }))))

  it.scopedLive("the per-attempt timeout aborts the request (the gateway sees it leave) and the retry succeeds", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.failFirst(1, Fault.delay(5_000)))
      const completion = yield* client.chat.completions.create(ask("hi"))
      assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      const disconnect = yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(disconnect.eventsSent, 0)
      assert.deepStrictEqual((yield* gw.requests).map((r) => r.headers["x-nexos-retry-count"]), [undefined, "1"])
      yield* gw.setFault(Fault.delay(5_000))
      const error = yield* Effect.flip(client.chat.completions.create(ask("hi"), { retry: RetryPolicy.none }))
      assert.strictEqual(error._tag, "Timeout")
      if (error._tag !== "Timeout") return
      assert.strictEqual(error.phase, "request")
      assert.isFalse(error.afterFirstByte)
      assert.strictEqual(error.timeoutMs, 200)
      assert.include(error.message, "per-attempt timeout")
    }).pipe(
      Effect.timeout("10 seconds"),
      Effect.provide(undiciClientOnMock({}, {
        timeout: "200 millis",
        retry: RetryPolicy.make({ initialDelay: "5 millis" })
      }))
    ))

  it.scopedLive("the deadline bounds the attempts and the waits between them", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.delay(5_000))
      const slow = yield* Effect.flip(client.chat.completions.create(ask("hi"), { deadline: "250 millis" }))
      assert.strictEqual(slow._tag, "Timeout")
      assert.strictEqual(slow._tag === "Timeout" && slow.phase, "deadline")
      assert.isFalse(slow._tag === "Timeout" && slow.afterFirstByte)
      assert.strictEqual((yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))).eventsSent, 0)
      yield* gw.reset
      yield* gw.setFault(Fault.rateLimited({ retryAfterMs: 20_000 }))
      const waiting = yield* Effect.flip(client.chat.completions.create(ask("hi"), { deadline: "300 millis" }))
      assert.strictEqual(waiting._tag, "Timeout")
      assert.strictEqual(waiting._tag === "Timeout" && waiting.phase, "deadline")
      assert.include(waiting.message, "the response had started")
      assert.strictEqual((yield* gw.requests).length, 1)
    }).pipe(
      Effect.timeout("10 seconds"),
      Effect.provide(undiciClientOnMock({}, { retry: RetryPolicy.make({ initialDelay: "5 millis" }) }))
    ))

  it.scopedLive("interrupting a stream's consumer closes the connection", () =>
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
    }).pipe(Effect.provide(undiciClientOnMock({ answer: "word ".repeat(400) }))))

  it.scopedLive("a keep-alive-only stream fails with the first-chunk Timeout and closes the socket", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.keepAlive(30))
      const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(ask("hi"))))
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error._tag === "Timeout" && error.phase, "first-chunk")
      assert.strictEqual((yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))).eventsSent, 0)
    }).pipe(Effect.provide(undiciClientOnMock({}, { firstChunkTimeout: "300 millis", idleTimeout: "100 millis" }))))

  it.scopedLive("a stalled stream fails with the idle Timeout after the events that arrived, and closes the socket", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      yield* gw.setFault(Fault.stall(4))
      const seen: Array<string> = []
      const error = yield* client.chat.completions.stream(ask("hi")).pipe(
        Stream.runForEach((e) => Effect.sync(() => seen.push(e._tag))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual(error._tag === "Timeout" && error.phase, "idle")
      assert.strictEqual(error._tag === "Timeout" && error.timeoutMs, 300)
      assert.isTrue(seen.includes("TextDelta"))
      assert.strictEqual((yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))).eventsSent, 4)
    }).pipe(Effect.provide(undiciClientOnMock({}, { idleTimeout: "300 millis" }))))

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
      assert.include(seen, "TextDelta")
      assert.strictEqual((yield* gw.awaitDisconnect.pipe(Effect.timeout("5 seconds"))).eventsSent, 3)
    }).pipe(Effect.provide(undiciClientOnMock({}, { idleTimeout: "400 millis", deadline: "1200 millis" }))))

  it.scopedLive("a slow consumer never causes an idle Timeout", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      yield* (yield* gateway).setFault(Fault.drip(10))
      const events = yield* client.chat.completions.stream(ask("hi")).pipe(
        Stream.tap(() => Effect.sleep("30 millis")),
        Stream.runCount
      )
      assert.isAbove(events, 5)
    }).pipe(Effect.provide(undiciClientOnMock({ answer: "one two three four five six seven" }, {
      idleTimeout: "100 millis",
      firstChunkTimeout: "100 millis"
    }))))

  it.scopedLive("a connection dropped mid-stream is an error, never a short answer", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      yield* (yield* gateway).setFault(Fault.drop(3))
      const error = yield* Effect.flip(ChatStream.accumulate(client.chat.completions.streamChunks(ask("hi"))))
      assert.include(["StreamTruncated", "ConnectionError"], error._tag)
    }).pipe(Effect.provide(undiciClientOnMock())))

  it.scopedLive("files: a streamed multipart upload and the content back as bytes", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const encoder = new TextEncoder()
      const pieces = ["{\"custom_id\":", "\"c\"}\n", "{\"custom_id\":\"d\"}\n"].map((p) => encoder.encode(p))
      const file = yield* client.files.upload(Upload.fromStream(Stream.fromIterable(pieces), { filename: "s.jsonl" }))
      assert.strictEqual(file.bytes, 36)
      const bytes = yield* Stream.runCollect(client.files.content(file.id))
      const text = new TextDecoder().decode(Buffer.concat(Chunk.toReadonlyArray(bytes)))
      assert.strictEqual(text, "{\"custom_id\":\"c\"}\n{\"custom_id\":\"d\"}\n")
    }).pipe(Effect.provide(undiciClientOnMock())))

  it.scopedLive("transformClient gets the transport as an HttpClient and sees every attempt", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const layer = undiciClientOnMock({}, {
        retry: RetryPolicy.make({ initialDelay: "5 millis" }),
        transformClient: HttpClient.tapRequest((request) =>
          Effect.sync(() => seen.push(request.headers["x-nexos-retry-count"] ?? "-"))
        )
      })
      yield* Effect.gen(function*() {
        yield* (yield* gateway).setFault(Fault.failFirst(1, Fault.status(500)))
        const completion = yield* (yield* nexos).chat.completions.create(ask("hi"))
        assert.strictEqual(completion.choices[0]!.finish_reason, "stop")
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(seen, ["-", "1"])
    }))

  it.scopedLive("a refused connection is a ConnectionError before the first byte", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.flatMap(nexos, (client) => client.chat.completions.create(ask("hi"))).pipe(
          Effect.provide(
            NexosClient.layerUndici({
              apiKey: Redacted.make("k"),
              baseUrl: "http://127.0.0.1:1/v1",
              retry: RetryPolicy.none
            })
          )
        )
      )
      assert.strictEqual(error._tag, "ConnectionError")
      assert.isTrue(error._tag === "ConnectionError" && error.beforeFirstByte)
    }))

  it.scopedLive("spans and trace context only when a tracer is installed", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const { spans, tracer } = recordingTracer()
      yield* client.chat.completions.create(ask("hi")).pipe(Effect.withTracer(tracer))
      yield* client.chat.completions.create(ask("hi"))
      const [traced, plain] = yield* gw.requests
      const span = spans.find((s) => s.name === "chat GPT 5.4 mini")!
      assert.strictEqual(traced!.headers["traceparent"], `00-4bf92f3577b34da6a3ce929d0e0e4736-${span.spanId}-01`)
      assert.strictEqual(span.attributes.get("http.response.status_code"), 200)
      assert.strictEqual(span.attributes.get("gen_ai.response.finish_reasons")?.toString(), "stop")
      assert.strictEqual(span.attributes.get("http.request.header.authorization"), "<redacted>")
      assert.isUndefined(plain!.headers["traceparent"])
      assert.strictEqual(spans.length, 1)
    }).pipe(Effect.provide(undiciClientOnMock())))
})
