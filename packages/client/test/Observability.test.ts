import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import { Effect, Exit, Inspectable, Layer, Logger, Option, Redacted, Ref, Stream, Tracer } from "effect"
import { completionBody, type FakeReply, makeFake, runWithTestClock } from "./fakeHttp.js"

const apiKey = "nexos-span-secret-9"

interface Recorded {
  readonly name: string
  readonly spanId: string
  readonly traceId: string
  readonly ended: () => boolean
  readonly parent: string | undefined
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ name: string; attributes: Record<string, unknown> | undefined }>
}

const recordingTracer = () => {
  const spans: Array<Recorded> = []
  const tracer = Tracer.make({
    span(name, parent, _context, _links, startTime, kind) {
      const attributes = new Map<string, unknown>()
      const events: Recorded["events"] = []
      const spanId = (spans.length + 1).toString(16).padStart(16, "0")
      const traceId = Option.isSome(parent) ? parent.value.traceId : "4bf92f3577b34da6a3ce929d0e0e4736"
      const recorded: Recorded = {
        events,
        name,
        spanId,
        traceId,
        ended: () => status._tag === "Ended",
        parent: Option.isSome(parent) && parent.value._tag === "Span" ? parent.value.name : undefined,
        attributes
      }
      spans.push(recorded)
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId,
        traceId,
        parent,
        context: _context,
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
        event(name, _time, eventAttributes) {
          events.push({ name, attributes: eventAttributes })
        },
        addLinks() {}
      }
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

describe("observability", () => {
  it.effect("one span per call with GenAI attributes, an event per failed attempt, and no secret anywhere", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const fake = yield* makeFake([{ status: 503 }, { body: completionBody, headers: { "x-request-id": "r-9" } }])
      const client = yield* NexosClient.make({ apiKey: Redacted.make(apiKey) }).pipe(Effect.provide(fake.layer))
      const exit = yield* runWithTestClock(
        client.chat.completions.create({ model: "GPT 5.4 mini", messages: [{ role: "user", content: "hi" }] }).pipe(
          Effect.withTracer(tracer)
        ),
        "1 minute"
      )
      assert.isTrue(Exit.isSuccess(exit))
      const call = spans.filter((s) => s.name === "chat GPT 5.4 mini")
      assert.strictEqual(call.length, 1)
      const attributes = Object.fromEntries(call[0]!.attributes)
      assert.strictEqual(attributes["gen_ai.operation.name"], "chat")
      assert.strictEqual(attributes["gen_ai.request.model"], "GPT 5.4 mini")
      assert.strictEqual(attributes["gen_ai.response.id"], "chatcmpl-1")
      assert.strictEqual(attributes["gen_ai.response.model"], "m")
      assert.strictEqual(attributes["gen_ai.usage.input_tokens"], 3)
      assert.strictEqual(attributes["gen_ai.usage.output_tokens"], 1)
      assert.deepStrictEqual(attributes["gen_ai.response.finish_reasons"], ["stop"])
      assert.strictEqual(spans.length, 1, spans.map((s) => s.name).join(","))
      assert.deepStrictEqual(call[0]!.events, [{
        name: "nexos.attempt.failed",
        attributes: {
          "nexos.attempt": 0,
          "error.type": "ServerError",
          "nexos.retryable": true,
          "http.response.status_code": 503
        }
      }])
      for (const span of spans) {
        for (const [key, value] of span.attributes) assert.notInclude(`${key}=${String(value)}`, apiKey)
      }
      assert.strictEqual(attributes["http.response.status_code"], 200)
      assert.strictEqual(attributes["nexos.attempts"], 2)
      assert.strictEqual(attributes["url.full"], "https://api.nexos.ai/v1/chat/completions")
    }))
})

const chunk = (id: string, choices: ReadonlyArray<object>, usage?: object) =>
  `data: ${
    JSON.stringify({
      id,
      object: "chat.completion.chunk",
      created: 1,
      model: "m-2026",
      choices,
      ...(usage ? { usage } : {})
    })
  }\n\n`

const twoChoices: FakeReply = {
  headers: { "content-type": "text/event-stream", "x-request-id": "r-s" },
  pieces: [
    chunk("chatcmpl-s", [
      { index: 0, delta: { role: "assistant", content: "a" } },
      { index: 1, delta: { role: "assistant", content: "b" } }
    ]),
    chunk("chatcmpl-s", [{ index: 1, delta: {}, finish_reason: "length" }]),
    chunk("chatcmpl-s", [{ index: 0, delta: {}, finish_reason: "stop" }]),
    chunk("chatcmpl-s", [], { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }),
    "data: [DONE]\n\n"
  ]
}

const twoChoicesCompletion = {
  id: "chatcmpl-s",
  object: "chat.completion",
  created: 1,
  model: "m-2026",
  choices: [
    { index: 0, message: { role: "assistant", content: "a" }, finish_reason: "stop" },
    { index: 1, message: { role: "assistant", content: "b" }, finish_reason: "length" }
  ],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }
}

const request = { model: "m", messages: [{ role: "user" as const, content: "hi" }], n: 2 }

const responseAttributes = [
  "gen_ai.response.id",
  "gen_ai.response.model",
  "gen_ai.response.finish_reasons",
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.output_tokens"
]

const pick = (span: Recorded, keys: ReadonlyArray<string>) =>
  Object.fromEntries(keys.map((key) => [key, span.attributes.get(key)]))

describe("tracing", () => {
  it.effect("a request carries the call span's trace context, the same on every attempt", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const fake = yield* makeFake([{ status: 503 }, { body: completionBody }])
      const client = yield* NexosClient.make({ apiKey: Redacted.make(apiKey) }).pipe(Effect.provide(fake.layer))
      const exit = yield* runWithTestClock(
        client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).pipe(
          Effect.withSpan("user operation"),
          Effect.withTracer(tracer)
        ),
        "1 minute"
      )
      assert.isTrue(Exit.isSuccess(exit))
      const call = spans.find((s) => s.name === "chat m")!
      assert.strictEqual(call.parent, "user operation")
      const seen = yield* Ref.get(fake.seen)
      assert.strictEqual(seen.length, 2)
      for (const attempt of seen) {
        assert.strictEqual(attempt.request.headers["traceparent"], `00-${call.traceId}-${call.spanId}-01`)
      }
      assert.match(seen[0]!.request.headers["traceparent"]!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    }))

  it.effect("HttpClient.withTracerPropagation(false) keeps the trace context off the wire", () =>
    Effect.gen(function*() {
      const { tracer } = recordingTracer()
      const fake = yield* makeFake([{ body: completionBody }])
      const client = yield* NexosClient.make({ apiKey: Redacted.make(apiKey) }).pipe(Effect.provide(fake.layer))
      yield* client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).pipe(
        Effect.locally(HttpClient.currentTracerPropagation, false),
        Effect.withTracer(tracer)
      )
      const [sent] = yield* Ref.get(fake.seen)
      assert.isUndefined(sent!.request.headers["traceparent"])
      assert.isUndefined(sent!.request.headers["b3"])
    }))

  it.effect("stream and streamChunks: one span each, trace context on the request, GenAI attributes shaped as on create", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const fake = yield* makeFake([twoChoices, twoChoices, { body: twoChoicesCompletion }])
      const client = yield* NexosClient.make({ apiKey: Redacted.make(apiKey) }).pipe(Effect.provide(fake.layer))
      const events = yield* Stream.runCollect(client.chat.completions.stream(request)).pipe(Effect.withTracer(tracer))
      assert.isAbove(events.length, 4)
      const accumulated = yield* ChatStream.accumulate(client.chat.completions.streamChunks(request)).pipe(
        Effect.withTracer(tracer)
      )
      assert.strictEqual(accumulated.choices.length, 2)
      yield* client.chat.completions.create(request).pipe(Effect.withTracer(tracer))

      assert.deepStrictEqual(spans.map((s) => s.name), ["chat m", "chat m", "chat m"])
      const [streamSpan, chunksSpan, createSpan] = spans
      for (const span of spans) assert.isTrue(span.ended())
      const expected = {
        "gen_ai.response.id": "chatcmpl-s",
        "gen_ai.response.model": "m-2026",
        "gen_ai.response.finish_reasons": ["stop", "length"],
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 2
      }
      assert.deepStrictEqual(pick(createSpan!, responseAttributes), expected)
      assert.deepStrictEqual(pick(streamSpan!, responseAttributes), expected)
      assert.deepStrictEqual(pick(chunksSpan!, responseAttributes), expected)
      for (const span of [streamSpan!, chunksSpan!]) {
        assert.strictEqual(span.attributes.get("gen_ai.operation.name"), "chat")
        assert.strictEqual(span.attributes.get("gen_ai.request.model"), "m")
        assert.strictEqual(span.attributes.get("gen_ai.request.stream"), true)
        assert.isNumber(span.attributes.get("gen_ai.response.time_to_first_chunk_ms"))
        assert.strictEqual(span.attributes.get("http.response.status_code"), 200)
        assert.strictEqual(span.attributes.get("http.response.header.x-request-id"), "r-s")
      }
      const seen = yield* Ref.get(fake.seen)
      assert.deepStrictEqual(
        seen.map((s) => s.request.headers["traceparent"]),
        spans.map((s) => `00-${s.traceId}-${s.spanId}-01`)
      )
    }))

  it.effect("a stream span ends with what was seen when the consumer stops early", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const fake = yield* makeFake([twoChoices])
      const client = yield* NexosClient.make({ apiKey: Redacted.make(apiKey) }).pipe(Effect.provide(fake.layer))
      yield* Stream.runCollect(client.chat.completions.stream(request).pipe(Stream.take(2))).pipe(
        Effect.withTracer(tracer)
      )
      assert.strictEqual(spans.length, 1)
      assert.isTrue(spans[0]!.ended())
      assert.strictEqual(spans[0]!.attributes.get("gen_ai.response.id"), "chatcmpl-s")
    }))
})

const secret = "gw-token-123456"

const loggingTransport = (fake: { readonly layer: Layer.Layer<HttpClient.HttpClient> }) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.tapRequest(client, (request) => Effect.logInfo("sending", request.headers)))
  ).pipe(Layer.provide(fake.layer))

const collectLogs = (lines: Array<string>) =>
  Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(Inspectable.toStringUnknown(message))))

describe("secret headers", () => {
  const run = (redactedHeaders: ReadonlyArray<string> | undefined) =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const lines: Array<string> = []
      const fake = yield* makeFake([
        { body: completionBody, headers: { "x-gateway-token": secret } },
        { status: 400, body: { error: { message: "bad" } }, headers: { "x-gateway-token": secret } }
      ])
      const client = yield* NexosClient.make({
        apiKey: Redacted.make(apiKey),
        headers: { "X-Gateway-Token": secret },
        ...(redactedHeaders === undefined ? {} : { redactedHeaders })
      }).pipe(Effect.provide(loggingTransport(fake)))
      const completion = yield* client.chat.completions.create({
        model: "m",
        messages: [{ role: "user", content: "hi" }]
      })
        .pipe(Effect.withTracer(tracer), Effect.provide(collectLogs(lines)))
      const error = yield* Effect.flip(
        client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })
      )
      const [sent] = yield* Ref.get(fake.seen)
      return {
        sent: sent!.request.headers["x-gateway-token"],
        span: spans[0]!,
        lines,
        meta: Option.getOrThrow(ResponseMeta.get(completion)).headers["x-gateway-token"],
        error: "headers" in error ? error.headers["x-gateway-token"] : undefined
      }
    })

  it.effect("names given in options are redacted in spans, logs, ResponseMeta and errors, and still sent", () =>
    Effect.gen(function*() {
      const result = yield* run(["X-GATEWAY-TOKEN"])
      assert.strictEqual(result.sent, secret)
      assert.strictEqual(result.span.attributes.get("http.request.header.x-gateway-token"), "<redacted>")
      assert.strictEqual(result.span.attributes.get("http.response.header.x-gateway-token"), "<redacted>")
      assert.strictEqual(result.span.attributes.get("http.request.header.authorization"), "<redacted>")
      assert.strictEqual(result.span.attributes.get("http.request.header.content-type"), "application/json")
      assert.isAbove(result.lines.length, 0)
      for (const line of result.lines) {
        assert.notInclude(line, secret)
        assert.notInclude(line, apiKey)
      }
      assert.include(result.lines.join("\n"), "x-gateway-token")
      assert.strictEqual(result.meta, "<redacted>")
      assert.strictEqual(result.error, "<redacted>")
      for (const [key, value] of result.span.attributes) assert.notInclude(`${key}=${String(value)}`, secret)
    }))

  it.effect("without the option the same header is shown (so the test above can fail)", () =>
    Effect.gen(function*() {
      const result = yield* run(undefined)
      assert.strictEqual(result.span.attributes.get("http.request.header.x-gateway-token"), secret)
      assert.include(result.lines.join("\n"), secret)
      assert.strictEqual(result.meta, secret)
      assert.strictEqual(result.error, secret)
      assert.strictEqual(result.span.attributes.get("http.request.header.authorization"), "<redacted>")
    }))
})
