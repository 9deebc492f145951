import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import { Effect, Exit, Option, Redacted, Tracer } from "effect"
import { completionBody, makeFake, runWithTestClock } from "./fakeHttp.js"

const apiKey = "nexos-span-secret-9"

interface Recorded {
  readonly name: string
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
      const recorded: Recorded = {
        events,
        name,
        parent: Option.isSome(parent) && parent.value._tag === "Span" ? parent.value.name : undefined,
        attributes
      }
      spans.push(recorded)
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: `span-${spans.length}`,
        traceId: "trace-1",
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
