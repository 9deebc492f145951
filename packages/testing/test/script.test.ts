import { assert, describe, it } from "@effect/vitest"
import { ChatCompletion } from "@nexos-effect/schema"
import { Fault, MockGateway, Reply } from "@nexos-effect/testing"
import { Effect, Schema } from "effect"
import { bounded, chat, chunksOf, collect, json, parseSse, text, user } from "./helpers.js"

const request = { model: "m", messages: user("scripted") }
const decodeCompletion = Schema.decodeUnknown(ChatCompletion.ChatCompletion)

describe("scripts", () => {
  it.scopedLive("queued replies are served in order, then generation resumes", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ script: [Reply.text("first")] })
      yield* gateway.enqueue(
        Reply.toolCall("lookup", { q: "nexos" }),
        Reply.error(429, { message: "slow down", type: "rate_limit_error" }, { "retry-after": "1" }),
        Reply.json({ custom: true }, { headers: { "x-extra": "1" } })
      )
      const first = yield* decodeCompletion(yield* Effect.flatMap(chat(gateway, request), json))
      assert.strictEqual(ChatCompletion.text(first), "first")
      const second = yield* decodeCompletion(yield* Effect.flatMap(chat(gateway, request), json))
      const [call] = ChatCompletion.toolCalls(second)
      assert.strictEqual(call.function.name, "lookup")
      assert.deepStrictEqual(JSON.parse(call.function.arguments), { q: "nexos" })
      const third = yield* chat(gateway, request)
      assert.strictEqual(third.status, 429)
      assert.strictEqual(third.headers.get("retry-after"), "1")
      assert.strictEqual((yield* json(third)).error.message, "slow down")
      const fourth = yield* chat(gateway, request)
      assert.strictEqual(fourth.headers.get("x-extra"), "1")
      assert.deepStrictEqual(yield* json(fourth), { custom: true })
      const fifth = yield* Effect.flatMap(chat(gateway, request), json)
      assert.include(fifth.choices[0].message.content, "Hello from the nexos mock gateway")
    })))

  it.scopedLive("a Generate reply streams in the request's mode, with citations and usage overrides", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      yield* gateway.enqueue(Reply.text("Paris is the capital of France.", {
        citations: [{ url: "https://example.com/paris", title: "Paris" }],
        reasoning: "Easy.",
        usage: { nexos_credits_cost: 0.5 }
      }))
      const raw = yield* Effect.flatMap(
        chat(gateway, { ...request, stream: true, stream_options: { include_usage: true } }),
        text
      )
      const chunks = chunksOf(parseSse(raw))
      assert.strictEqual(
        chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""),
        "Paris is the capital of France."
      )
      assert.strictEqual(chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join(""), "Easy.")
      const annotation = chunks.find((c) => c.choices[0]?.delta.annotations)!.choices[0].delta.annotations[0]
      assert.deepStrictEqual(annotation.url_citation, {
        start_index: 0,
        end_index: 5,
        url: "https://example.com/paris",
        title: "Paris"
      })
      assert.strictEqual(chunks.at(-1).usage.nexos_credits_cost, 0.5)
    })))

  it.scopedLive("recorded SSE bytes are replayed as given and stream faults still apply", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const bytes = new TextEncoder().encode(
        ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\ndata: {\"a\":2}\r\n\r\ndata: [DONE]\r\n\r\n"
      )
      yield* gateway.enqueue(Reply.sse(bytes), Reply.sse([{ b: 1 }, "not json"], { done: false }), Reply.sse(bytes))
      assert.strictEqual(yield* Effect.flatMap(chat(gateway, request), text), new TextDecoder().decode(bytes))
      assert.strictEqual(yield* Effect.flatMap(chat(gateway, request), text), "data: {\"b\":1}\n\ndata: not json\n\n")
      const dropped = yield* collect(yield* chat(gateway, request, { ...Fault.header(Fault.drop(2)) }))
      assert.strictEqual(dropped.ended, "error")
      assert.deepStrictEqual(parseSse(dropped.text).map((e) => e.data), ["{\"a\":1}"])
    })))

  it.scopedLive("the respond option decides per request; x-mock-reply overrides per request", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({
        respond: (req, received) =>
          req.model === "echo"
            ? Reply.text(`${received.headers["x-who"] ?? "?"} asked ${req.messages.length}`)
            : undefined
      })
      const echoed = yield* Effect.flatMap(chat(gateway, { ...request, model: "echo" }, { "x-who": "ann" }), json)
      assert.strictEqual(echoed.choices[0].message.content, "ann asked 1")
      const generated = yield* Effect.flatMap(chat(gateway, request), json)
      assert.include(generated.choices[0].message.content, "You said: scripted")
      const header = yield* Effect.flatMap(
        chat(gateway, { ...request, model: "echo" }, { ...Reply.header(Reply.completion({ refusal: "I can't." })) }),
        json
      )
      assert.strictEqual(header.choices[0].message.refusal, "I can't.")
      assert.isNull(header.choices[0].message.content)
      const bad = yield* chat(gateway, request, { "x-mock-reply": "{\"_tag\":\"Nope\"}" })
      assert.strictEqual(bad.status, 400)
    })))
})
