import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosError from "@nexos-effect/client/NexosError"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import { Cause, Chunk, Duration, Effect, Either, Exit, Fiber, Option, Ref, Stream, TestClock } from "effect"

const encoder = new TextEncoder()

const chunk = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra
  })

const bytesOf = (...pieces: ReadonlyArray<string>): Stream.Stream<Uint8Array> =>
  Stream.fromIterable(pieces.map((p) => encoder.encode(p))).pipe(Stream.rechunk(1))

const decode = (bytes: Stream.Stream<Uint8Array>, options?: ChatStream.DecodeSseOptions) =>
  ChatStream.decodeSse(bytes, options).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.either)

const contents = (chunks: ReadonlyArray<ChatCompletionChunk.ChatCompletionChunk>) =>
  chunks.map((c) => c.choices[0]?.delta.content)

const failure = <A, E>(result: Either.Either<A, E>): E => {
  if (Either.isRight(result)) return assert.fail("expected a failure") as never
  return result.left
}

describe("decodeSse: framing", () => {
  it.effect("reads data events and stops at [DONE]", () =>
    Effect.gen(function*() {
      const result = yield* decode(bytesOf(`data: ${chunk("a")}\n\ndata: ${chunk("b")}\n\ndata: [DONE]\n\n`))
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["a", "b"]))
    }))

  it.effect("does not read the input after [DONE]", () =>
    Effect.gen(function*() {
      const reads = yield* Ref.make(0)
      const input = bytesOf(`data: ${chunk("a")}\n\ndata: [DONE]\n\n`).pipe(
        Stream.concat(Stream.fromEffect(Ref.update(reads, (n) => n + 1)).pipe(Stream.as(encoder.encode("x")))),
        Stream.concat(Stream.die("read after [DONE]"))
      )
      const result = yield* decode(input)
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["a"]))
      assert.strictEqual(yield* Ref.get(reads), 0)
    }))

  it.effect("ignores comments and honours data without a space and multi-line data", () =>
    Effect.gen(function*() {
      const text = [
        ": keep-alive",
        ":",
        `data:${chunk("a")}`,
        "",
        ": OPENROUTER PROCESSING",
        "",
        "data: {\"id\":\"c1\",",
        "data: \"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}",
        "",
        "id: 7",
        "retry: 1000",
        `data: ${chunk("c")}`,
        "",
        "data: [DONE]",
        ""
      ].join("\n")
      const result = yield* decode(bytesOf(text))
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["a", "b", "c"]))
    }))

  it.effect("joins multi-line data with a newline (inside a JSON string it must be escaped)", () =>
    Effect.gen(function*() {
      const result = yield* decode(bytesOf("data: {\"id\":\"x\ndata: y\"}\n\ndata: [DONE]\n\n"))
      const error = failure(result)
      assert.instanceOf(error, NexosError.DecodeError)
      assert.include((error as NexosError.DecodeError).excerpt, "{\"id\":\"x\ny\"}")
    }))

  it.effect("accepts LF, CRLF and CR line ends, also split between reads", () =>
    Effect.gen(function*() {
      for (const eol of ["\n", "\r\n", "\r"]) {
        const text = `data: ${chunk("a")}${eol}${eol}data: ${chunk("b")}${eol}${eol}data: [DONE]${eol}${eol}`
        for (let cut = 0; cut <= text.length; cut += 7) {
          const result = yield* decode(bytesOf(text.slice(0, cut), text.slice(cut)))
          assert.deepStrictEqual(Either.map(result, contents), Either.right(["a", "b"]), JSON.stringify([eol, cut]))
        }
      }
    }))

  it.effect("a CRLF split between reads inside multi-line data is one line end", () =>
    Effect.gen(function*() {
      const result = yield* decode(
        bytesOf("data: {\"id\":\"x\",\r", "\ndata: \"model\":\"m\"}\r\n\r\ndata: [DONE]\r\n\r\n")
      )
      assert.deepStrictEqual(Either.map(result, (cs) => cs.map((c) => c.model)), Either.right(["m"]))
    }))

  it.effect("splits bytes inside multi-byte characters", () =>
    Effect.gen(function*() {
      const text = `data: ${chunk("Grüße 🌍 日本")}\n\ndata: [DONE]\n\n`
      const bytes = encoder.encode(text)
      for (let cut = 1; cut < bytes.length; cut++) {
        const input = Stream.make(bytes.subarray(0, cut), bytes.subarray(cut)).pipe(Stream.rechunk(1))
        const result = yield* decode(input)
        assert.deepStrictEqual(Either.map(result, contents), Either.right(["Grüße 🌍 日本"]))
      }
      const bytewise = Stream.fromIterable([...bytes].map((b) => Uint8Array.of(b))).pipe(Stream.rechunk(1))
      assert.deepStrictEqual(Either.map(yield* decode(bytewise), contents), Either.right(["Grüße 🌍 日本"]))
    }))

  it.effect("strips a byte order mark at the start only", () =>
    Effect.gen(function*() {
      const text = `\uFEFFdata: ${chunk("\uFEFFx")}\n\ndata: [DONE]\n\n`
      const result = yield* decode(bytesOf(text))
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["\uFEFFx"]))
    }))

  it.effect("dispatches a final event without its blank line", () =>
    Effect.gen(function*() {
      const noBlank = yield* decode(bytesOf(`data: ${chunk("a")}\n\ndata: [DONE]`))
      assert.deepStrictEqual(Either.map(noBlank, contents), Either.right(["a"]))
      const lastChunk = yield* decode(bytesOf(`data: ${chunk("a")}\n\ndata: ${chunk("b")}`), { requireDone: false })
      assert.deepStrictEqual(Either.map(lastChunk, contents), Either.right(["a", "b"]))
      const lastNewline = yield* decode(bytesOf(`data: ${chunk("a")}\n`), { requireDone: false })
      assert.deepStrictEqual(Either.map(lastNewline, contents), Either.right(["a"]))
    }))

  it.effect("skips events without data", () =>
    Effect.gen(function*() {
      const result = yield* decode(bytesOf(`event: ping\n\ndata:\n\ndata\n\ndata: ${chunk("a")}\n\ndata: [DONE]\n\n`))
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["a"]))
    }))

  it.effect("reads other named events as chunks", () =>
    Effect.gen(function*() {
      const result = yield* decode(bytesOf(`event: message\ndata: ${chunk("a")}\n\ndata: [DONE]\n\n`))
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["a"]))
    }))

  it.effect("passes input errors through unchanged", () =>
    Effect.gen(function*() {
      const input = bytesOf(`data: ${chunk("a")}\n\n`).pipe(Stream.concat(Stream.fail("socket closed" as const)))
      const result = yield* ChatStream.decodeSse(input).pipe(Stream.runCollect, Effect.either)
      assert.deepStrictEqual(result, Either.left("socket closed" as const))
    }))
})

describe("decodeSse: error frames", () => {
  it.effect("a data payload with a top-level error fails with StreamError (string code)", () =>
    Effect.gen(function*() {
      const frame = JSON.stringify({
        error: { message: "The server had an error", type: "server_error", code: "internal", param: "model" }
      })
      const events = yield* ChatStream.decodeSse(bytesOf(`data: ${chunk("a")}\n\ndata: ${frame}\n\n`), {
        requestId: "req_1"
      }).pipe(Stream.either, Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      assert.strictEqual(events.length, 2)
      assert.deepStrictEqual(Either.map(events[0], (c) => c.choices[0].delta.content), Either.right("a"))
      const error = failure(events[1])
      assert.instanceOf(error, NexosError.StreamError)
      const e = error as NexosError.StreamError
      assert.strictEqual(e.message, "The server had an error")
      assert.strictEqual(e.code, "internal")
      assert.strictEqual(e.type, "server_error")
      assert.strictEqual(e.param, "model")
      assert.strictEqual(e.requestId, "req_1")
      assert.deepStrictEqual(e.body, JSON.parse(frame))
    }))

  it.effect("event: error with a numeric code, after finish chunks and before [DONE]", () =>
    Effect.gen(function*() {
      const finish = JSON.stringify({ id: "c1", choices: [{ index: 0, delta: {}, finish_reason: "length" }] })
      const text = `data: ${finish}\n\nevent: error\ndata: {"error":{"code":400,"message":"Token limit reached"}}\n\n` +
        "data: [DONE]\n\n"
      const error = failure(yield* decode(bytesOf(text)))
      assert.instanceOf(error, NexosError.StreamError)
      assert.strictEqual((error as NexosError.StreamError).code, 400)
      assert.strictEqual((error as NexosError.StreamError).message, "Token limit reached")
    }))

  it.effect("event: error with any JSON, or with plain text", () =>
    Effect.gen(function*() {
      const json = failure(yield* decode(bytesOf("event: error\ndata: {\"message\":\"overloaded\",\"code\":529}\n\n")))
      assert.instanceOf(json, NexosError.StreamError)
      assert.strictEqual((json as NexosError.StreamError).message, "overloaded")
      assert.strictEqual((json as NexosError.StreamError).code, 529)
      const text = failure(yield* decode(bytesOf("event: error\ndata: upstream went away\n\n")))
      assert.instanceOf(text, NexosError.StreamError)
      assert.strictEqual((text as NexosError.StreamError).message, "upstream went away")
    }))

  it.effect("a null error key is not an error frame", () =>
    Effect.gen(function*() {
      const result = yield* decode(bytesOf(`data: ${chunk("a", { error: null })}\n\ndata: [DONE]\n\n`))
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["a"]))
    }))
})

describe("decodeSse: truncation and bad data", () => {
  it.effect("the end of input without [DONE] fails with StreamTruncated (with the chunk count)", () =>
    Effect.gen(function*() {
      const error = failure(
        yield* decode(bytesOf(`data: ${chunk("a")}\n\ndata: ${chunk("b")}\n\n`), { requestId: "r" })
      )
      assert.instanceOf(error, NexosError.StreamTruncated)
      assert.strictEqual((error as NexosError.StreamTruncated).chunks, 2)
      assert.strictEqual((error as NexosError.StreamTruncated).requestId, "r")
      assert.include(error.message, "[DONE]")
    }))

  it.effect("requireDone: false accepts the end of input", () =>
    Effect.gen(function*() {
      const result = yield* decode(bytesOf(`data: ${chunk("a")}\n\n`), { requireDone: false })
      assert.deepStrictEqual(Either.map(result, contents), Either.right(["a"]))
      const empty = yield* decode(Stream.empty, { requireDone: false })
      assert.deepStrictEqual(empty, Either.right([]))
      const emptyTruncated = failure(yield* decode(Stream.empty))
      assert.strictEqual((emptyTruncated as NexosError.StreamTruncated).chunks, 0)
    }))

  it.effect("a payload that is not JSON fails with DecodeError and an excerpt", () =>
    Effect.gen(function*() {
      const error = failure(yield* decode(bytesOf(`data: ${chunk("a")}\n\ndata: {"id": oops}\n\ndata: [DONE]\n\n`)))
      assert.instanceOf(error, NexosError.DecodeError)
      const e = error as NexosError.DecodeError
      assert.strictEqual(e.excerpt, "{\"id\": oops}")
      assert.include(e.message, "chunk 2")
      assert.include(e.message, "not valid JSON")
    }))

  it.effect("JSON that is not a chunk fails with DecodeError naming the field", () =>
    Effect.gen(function*() {
      const error = failure(yield* decode(bytesOf("data: {\"id\":\"x\",\"choices\":{\"0\":1}}\n\n")))
      assert.instanceOf(error, NexosError.DecodeError)
      assert.include(error.message, "choices")
      const array = failure(yield* decode(bytesOf("data: [1,2]\n\n")))
      assert.instanceOf(array, NexosError.DecodeError)
    }))

  it.effect("the excerpt is bounded", () =>
    Effect.gen(function*() {
      const long = `{"id": ${"x".repeat(10_000)}}`
      const error = failure(yield* decode(bytesOf(`data: ${long}\n\n`)))
      assert.instanceOf(error, NexosError.DecodeError)
      assert.isBelow((error as NexosError.DecodeError).excerpt.length, 600)
    }))

  it.effect("an event larger than maxEventBytes fails with DecodeError, also when it arrives in pieces", () =>
    Effect.gen(function*() {
      const big = chunk("x".repeat(500))
      const whole = failure(yield* decode(bytesOf(`data: ${big}\n\n`), { maxEventBytes: 200 }))
      assert.instanceOf(whole, NexosError.DecodeError)
      assert.include(whole.message, "maxEventBytes")
      const reads = yield* Ref.make(0)
      const endless = Stream.repeatEffect(Effect.as(Ref.update(reads, (n) => n + 1), encoder.encode("x".repeat(50))))
      const piecewise = failure(
        yield* decode(Stream.concat(bytesOf("data: {\"id\":\""), endless), { maxEventBytes: 1000 })
      )
      assert.instanceOf(piecewise, NexosError.DecodeError)
      assert.isAtMost(yield* Ref.get(reads), 25)
      const multiLine = failure(yield* decode(bytesOf("data: 1\n".repeat(100)), { maxEventBytes: 300 }))
      assert.instanceOf(multiLine, NexosError.DecodeError)
      const fits = yield* decode(bytesOf(`data: ${big}\n\ndata: [DONE]\n\n`), { maxEventBytes: 1000 })
      assert.isTrue(Either.isRight(fits))
    }))

  it("defaults maxEventBytes to 8 MiB", () => {
    assert.strictEqual(ChatStream.defaultMaxEventBytes, 8 * 1024 * 1024)
  })
})

describe("timeouts", () => {
  const settled = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isSome)

  const timeoutOf = <A, E>(exit: Exit.Exit<A, E>): NexosError.Timeout => {
    if (Exit.isSuccess(exit)) return assert.fail("expected a timeout") as never
    const e = Option.getOrUndefined(Cause.failureOption(exit.cause))
    assert.instanceOf(e, NexosError.Timeout)
    return e as NexosError.Timeout
  }

  it.effect("fails with phase first-chunk when nothing arrives in time", () =>
    Effect.gen(function*() {
      const fiber = yield* Stream.never.pipe(
        ChatStream.timeouts({ firstChunk: "10 seconds", idle: "3 seconds", requestId: "r" }),
        Stream.runCollect,
        Effect.fork
      )
      yield* TestClock.adjust("9 seconds")
      assert.isFalse(yield* settled(fiber))
      yield* TestClock.adjust("1 second")
      const e = timeoutOf(yield* Fiber.await(fiber))
      assert.strictEqual(e.phase, "first-chunk")
      assert.strictEqual(e.timeoutMs, 10_000)
      assert.strictEqual(e.requestId, "r")
      assert.isFalse(e.isRetryable)
    }))

  it.effect("fails with phase idle when the input goes silent after the first chunk", () =>
    Effect.gen(function*() {
      const input = Stream.make(1, 2).pipe(Stream.concat(Stream.never))
      const fiber = yield* input.pipe(
        ChatStream.timeouts({ firstChunk: "10 seconds", idle: "5 seconds" }),
        Stream.runCollect,
        Effect.fork
      )
      yield* TestClock.adjust("4 seconds")
      assert.isFalse(yield* settled(fiber))
      yield* TestClock.adjust("1 second")
      const e = timeoutOf(yield* Fiber.await(fiber))
      assert.strictEqual(e.phase, "idle")
      assert.strictEqual(e.timeoutMs, 5_000)
    }))

  it.effect("the first chunk may take longer than idle, later gaps shorter than idle pass", () =>
    Effect.gen(function*() {
      const slow = (ms: number, value: number) => Stream.fromEffect(Effect.as(Effect.sleep(ms), value))
      const input = slow(8_000, 1).pipe(
        Stream.concat(slow(4_000, 2)),
        Stream.concat(slow(4_000, 3)),
        Stream.concat(slow(4_000, 4))
      )
      const fiber = yield* input.pipe(
        ChatStream.timeouts({ firstChunk: "10 seconds", idle: "5 seconds" }),
        Stream.runCollect,
        Effect.fork
      )
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(Exit.map(exit, Chunk.toReadonlyArray), Exit.succeed([1, 2, 3, 4]))
    }))

  it.effect("a gap longer than idle in the middle fails with phase idle", () =>
    Effect.gen(function*() {
      const input = Stream.make(1).pipe(Stream.concat(Stream.fromEffect(Effect.as(Effect.sleep("61 seconds"), 2))))
      const fiber = yield* input.pipe(ChatStream.timeouts(), Stream.runCollect, Effect.fork)
      yield* TestClock.adjust("60 seconds")
      const e = timeoutOf(yield* Fiber.await(fiber))
      assert.strictEqual(e.phase, "idle")
      assert.strictEqual(e.timeoutMs, 60_000)
    }))

  it.effect("a slow consumer does not cause an idle timeout", () =>
    Effect.gen(function*() {
      const fiber = yield* Stream.range(1, 20).pipe(
        ChatStream.timeouts({ firstChunk: "1 second", idle: "1 second" }),
        Stream.mapEffect((n) => Effect.as(Effect.sleep("10 seconds"), n)),
        Stream.runCollect,
        Effect.fork
      )
      for (let i = 0; i < 25; i++) yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.await(fiber)
      assert.deepStrictEqual(Exit.map(exit, Chunk.size), Exit.succeed(20))
    }))

  it.effect("passes values, input errors and the end through", () =>
    Effect.gen(function*() {
      const ok = yield* Stream.range(1, 100).pipe(ChatStream.timeouts(), Stream.runCollect)
      assert.strictEqual(Chunk.size(ok), 100)
      const failed = yield* Stream.make(1).pipe(
        Stream.concat(Stream.fail("boom")),
        ChatStream.timeouts(),
        Stream.runCollect,
        Effect.either
      )
      assert.deepStrictEqual(failed, Either.left("boom"))
      const ordered = yield* Stream.make(1, 2).pipe(
        Stream.concat(Stream.make(3)),
        Stream.concat(Stream.fail("late")),
        ChatStream.timeouts(),
        Stream.either,
        Stream.runCollect
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(ordered), [
        Either.right(1),
        Either.right(2),
        Either.right(3),
        Either.left("late")
      ])
      const first = yield* Stream.never.pipe(ChatStream.timeouts(), Stream.take(0), Stream.runCollect)
      assert.strictEqual(Chunk.size(first), 0)
    }))

  it.effect("interrupts the input on a timeout", () =>
    Effect.gen(function*() {
      const interrupted = yield* Ref.make(false)
      const input = Stream.make(1).pipe(
        Stream.concat(Stream.fromEffect(Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))))
      )
      const fiber = yield* input.pipe(ChatStream.timeouts({ idle: "1 second" }), Stream.runCollect, Effect.fork)
      yield* TestClock.adjust("1 second")
      timeoutOf(yield* Fiber.await(fiber))
      assert.isTrue(yield* Ref.get(interrupted))
    }))

  it.effect("Duration.infinity disables a phase", () =>
    Effect.gen(function*() {
      const fiber = yield* Stream.never.pipe(
        ChatStream.timeouts({ firstChunk: Duration.infinity, idle: "1 second" }),
        Stream.runCollect,
        Effect.fork
      )
      yield* TestClock.adjust("2 minutes")
      assert.isFalse(yield* settled(fiber))
      yield* Fiber.interrupt(fiber)
    }))
})
