import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import type * as NexosError from "@nexos-effect/client/NexosError"
import { Chunk, Effect, Exit, Fiber, Option, Schedule, Stream, TestClock } from "effect"

const encoder = new TextEncoder()

/** The text as bytes, cut at the given positions (also inside multi-byte characters). */
const cut = (text: string, at: ReadonlyArray<number>): Stream.Stream<Uint8Array> => {
  const bytes = encoder.encode(text)
  const bounds = [0, ...at.filter((n) => n > 0 && n < bytes.length).sort((a, b) => a - b), bytes.length]
  return Stream.fromIterable(bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end)))
}

const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 3,
  model: "m",
  choices: [
    { index: 0, message: { role: "assistant", content: "Zażółć 🦊" }, finish_reason: "stop" },
    {
      index: 1,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{\"a\":1}" } }]
      },
      finish_reason: "tool_calls"
    }
  ],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }
}

const failure = <A>(exit: Exit.Exit<A, unknown>) =>
  Exit.isFailure(exit) ?
    Option.getOrUndefined(
      Exit.causeOption(exit).pipe(
        Option.flatMap((c) => c._tag === "Fail" ? Option.some(c.error as NexosError.NexosError) : Option.none())
      )
    ) :
    undefined

describe("decodeSse: a body that is not an event stream", () => {
  it.effect("a JSON completion, cut anywhere, becomes chunks that accumulate to it", () =>
    Effect.gen(function*() {
      const text = `\n  ${JSON.stringify(completion)}`
      for (const at of [[], [1], [5, 17, 40], [text.length - 3], Array.from({ length: 30 }, (_, i) => i * 7)]) {
        const chunks = cut(text, at).pipe(ChatStream.decodeSse())
        const accumulated = yield* ChatStream.accumulate(chunks)
        assert.strictEqual(accumulated.choices[0]!.message.content, "Zażółć 🦊")
        assert.strictEqual(accumulated.choices[1]!.message.tool_calls![0]!.function.arguments, "{\"a\":1}")
        assert.deepStrictEqual(accumulated.choices.map((c) => c.finish_reason), ["stop", "tool_calls"])
        assert.strictEqual(accumulated.usage?.total_tokens, 3)
      }
    }))

  it.effect("a JSON error body fails with the error it describes, with its code and the request id", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ error: { message: "Rate limit reached", type: "rate_limit_error", code: 429 } })
      const exit = yield* Effect.exit(
        Stream.runDrain(cut(body, [3, 9]).pipe(ChatStream.decodeSse({ requestId: "req_1" })))
      )
      const error = failure(exit)
      assert.strictEqual(error?._tag, "RateLimited")
      assert.strictEqual(error?.message, "HTTP 200 with an error body: Rate limit reached")
      assert.strictEqual(error && "code" in error ? error.code : undefined, 429)
      assert.strictEqual(error && "requestId" in error ? error.requestId : undefined, "req_1")
    }))

  it.effect("text that is no event stream fails with DecodeError quoting it; comments alone are a truncated stream", () =>
    Effect.gen(function*() {
      const edge = failure(
        yield* Effect.exit(Stream.runDrain(cut("error code: 1010", [4]).pipe(ChatStream.decodeSse())))
      )
      assert.strictEqual(edge?._tag, "DecodeError")
      assert.include(edge?.message, "error code: 1010")
      const pings = failure(
        yield* Effect.exit(Stream.runDrain(cut(": ping\n\n: ping\n\n", []).pipe(ChatStream.decodeSse())))
      )
      assert.strictEqual(pings?._tag, "StreamTruncated")
      const broken = failure(
        yield* Effect.exit(Stream.runDrain(cut("{\"choices\": [", []).pipe(ChatStream.decodeSse())))
      )
      assert.strictEqual(broken?._tag, "DecodeError")
    }))
})

describe("decodeSse: first-chunk and idle timeouts on the bytes", () => {
  const ping = encoder.encode(": ping\n\n")
  const data = encoder.encode(
    `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: "x" } }] })}\n\n`
  )
  const pings = (everyMs: number) => Stream.repeatValue(ping).pipe(Stream.schedule(Schedule.spaced(everyMs)))

  it.effect("keep-alives do not end the first-chunk phase: only pings time out at firstChunkTimeout", () =>
    Effect.gen(function*() {
      const fiber = yield* pings(1_000).pipe(
        ChatStream.decodeSse({ firstChunkTimeout: "10 seconds", idleTimeout: "2 seconds", requestId: "r" }),
        Stream.runDrain,
        Effect.exit,
        Effect.fork
      )
      for (let i = 0; i < 9; i++) yield* TestClock.adjust("1 second")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 second")
      const error = failure(yield* Fiber.join(fiber))
      assert.strictEqual(error?._tag, "Timeout")
      if (error?._tag !== "Timeout") return
      assert.strictEqual(error.phase, "first-chunk")
      assert.isAbove(error.bodyBytes!, 0)
      assert.strictEqual(error.requestId, "r")
    }))

  it.effect("after the first data event any bytes count for idle; silence then times out", () =>
    Effect.gen(function*() {
      const input = Stream.make(data).pipe(
        Stream.concat(pings(1_000).pipe(Stream.take(30))),
        Stream.concat(Stream.never)
      )
      const fiber = yield* input.pipe(
        ChatStream.decodeSse({ firstChunkTimeout: "5 seconds", idleTimeout: "3 seconds" }),
        Stream.runCollect,
        Effect.exit,
        Effect.fork
      )
      for (let i = 0; i < 30; i++) yield* TestClock.adjust("1 second")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still alive after 30 s of keep-alives")
      for (let i = 0; i < 4; i++) yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.join(fiber)
      const error = failure(exit)
      assert.strictEqual(error?._tag === "Timeout" && error.phase, "idle")
    }))

  it.effect("without timeouts set, nothing times out", () =>
    Effect.gen(function*() {
      const fiber = yield* pings(60_000).pipe(ChatStream.decodeSse(), Stream.runDrain, Effect.fork)
      yield* TestClock.adjust("1 hour")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(
        Chunk.size(yield* Stream.runCollect(Stream.make(data).pipe(ChatStream.decodeSse({ requireDone: false })))),
        1
      )
    }))
})
