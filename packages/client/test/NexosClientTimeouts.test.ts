import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as NexosError from "@nexos-effect/client/NexosError"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import { Duration, Effect, Exit, Fiber, Option, Redacted, Ref, Stream, TestClock } from "effect"
import { type FakeReply, makeFake } from "./fakeHttp.js"

const request: ChatCompletionRequest.ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] }
const sse = { "content-type": "text/event-stream" }
const data = `data: ${JSON.stringify({ id: "c1", model: "m", choices: [{ index: 0, delta: { content: "Hel" } }] })}\n\n`

const withClient = (script: ReadonlyArray<FakeReply>, options: Partial<NexosClient.Options> = {}) =>
  Effect.gen(function*() {
    const fake = yield* makeFake(script)
    const client = yield* NexosClient.make({ apiKey: Redacted.make("k"), ...options }).pipe(Effect.provide(fake.layer))
    return { client, seen: fake.seen }
  })

const timeoutOf = <A>(exit: Exit.Exit<A, NexosError.NexosError>): NexosError.Timeout => {
  const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error?._tag !== "Timeout") return assert.fail(`expected a Timeout, got ${String(exit)}`) as never
  return error
}

/** Moves the test clock in steps of `step` until `fiber` ends (at most `limit` steps, then interrupts it). */
const settle = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, step: Duration.DurationInput, limit: number) =>
  Effect.gen(function*() {
    const start = yield* TestClock.currentTimeMillis
    for (let i = 0; i < limit; i++) {
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
      if (Option.isSome(yield* Fiber.poll(fiber))) break
      yield* TestClock.adjust(step)
    }
    if (Option.isNone(yield* Fiber.poll(fiber))) yield* Fiber.interrupt(fiber)
    const exit = yield* Fiber.await(fiber)
    return { exit, tookMs: (yield* TestClock.currentTimeMillis) - start }
  })

describe("first-chunk timeout: ends at the first data event", () => {
  it.effect("a stream that only sends `: ping` times out at firstChunkTimeout, saying bytes had arrived", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ pingEveryMs: 1_000, headers: sse }], {
        firstChunkTimeout: "5 seconds",
        idleTimeout: "2 seconds"
      })
      const fiber = yield* Effect.fork(Effect.exit(Stream.runDrain(client.chat.completions.stream(request))))
      const { exit, tookMs } = yield* settle(fiber, "500 millis", 100)
      const timeout = timeoutOf(Exit.flatten(exit))
      assert.strictEqual(timeout.phase, "first-chunk")
      assert.strictEqual(tookMs, 5_000)
      assert.isTrue(timeout.afterFirstByte)
      assert.isAbove(timeout.bodyBytes!, 0)
      assert.include(timeout.message, "comments or keep-alives")
      assert.isFalse(timeout.isRetryable)
      const all = yield* Ref.get(seen)
      assert.strictEqual(all.length, 1)
      assert.isTrue(all[0]!.signal.aborted, "the connection was closed")
    }))

  it.effect("a stream with no bytes at all says so", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ pieces: [], stall: true, headers: sse }], {
        firstChunkTimeout: "3 seconds"
      })
      const fiber = yield* Effect.fork(Effect.exit(Stream.runDrain(client.chat.completions.stream(request))))
      const { exit } = yield* settle(fiber, "1 second", 10)
      const timeout = timeoutOf(Exit.flatten(exit))
      assert.strictEqual(timeout.phase, "first-chunk")
      assert.strictEqual(timeout.bodyBytes, 0)
      assert.include(timeout.message, "no bytes")
    }))
})

describe("idle timeout: any bytes count", () => {
  it.effect("keep-alives after the first data event keep the stream alive past idleTimeout", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ pieces: [data], pingEveryMs: 10_000, headers: sse }], {
        idleTimeout: "15 seconds",
        deadline: "2 minutes"
      })
      const received = yield* Ref.make(0)
      const fiber = yield* Effect.fork(
        Effect.exit(
          Stream.runForEach(client.chat.completions.stream(request), () => Ref.update(received, (n) => n + 1))
        )
      )
      const { exit, tookMs } = yield* settle(fiber, "1 second", 200)
      const timeout = timeoutOf(Exit.flatten(exit))
      assert.strictEqual(timeout.phase, "deadline")
      assert.strictEqual(tookMs, 120_000)
      assert.isTrue(timeout.afterFirstByte)
      assert.isAbove(timeout.bodyBytes!, data.length)
      assert.isFalse(timeout.isRetryable)
      assert.strictEqual(yield* Ref.get(received), 2)
    }))

  it.effect("without bytes the idle timeout fires after the first data event", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ pieces: [data], stall: true, headers: sse }], {
        firstChunkTimeout: "1 minute",
        idleTimeout: "15 seconds"
      })
      const fiber = yield* Effect.fork(Effect.exit(Stream.runDrain(client.chat.completions.stream(request))))
      const { exit, tookMs } = yield* settle(fiber, "1 second", 100)
      const timeout = timeoutOf(Exit.flatten(exit))
      assert.strictEqual(timeout.phase, "idle")
      assert.strictEqual(tookMs, 15_000)
      assert.strictEqual(timeout.bodyBytes, data.length)
    }))
  it.effect("a consumer slower than idleTimeout never times out: only waits for bytes count", () =>
    Effect.gen(function*() {
      const pieces = [data, data, data, "data: [DONE]\n\n"]
      const { client } = yield* withClient([{ pieces, headers: sse }], {
        firstChunkTimeout: "3 seconds",
        idleTimeout: "3 seconds"
      })
      const fiber = yield* Effect.fork(Effect.exit(
        Stream.runForEach(client.chat.completions.stream(request), () => Effect.sleep("10 seconds"))
      ))
      const { exit, tookMs } = yield* settle(fiber, "1 second", 100)
      assert.isTrue(Exit.isSuccess(Exit.flatten(exit)), String(exit))
      assert.isAtLeast(tookMs, 30_000)
    }))
})

describe("deadline: the whole call", () => {
  it.effect("bounds a non-streaming call with its retries, and says no response had arrived", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ hang: true }], { timeout: "10 seconds", deadline: "25 seconds" })
      const fiber = yield* Effect.fork(Effect.exit(client.chat.completions.create(request)))
      const { exit, tookMs } = yield* settle(fiber, "500 millis", 100)
      const timeout = timeoutOf(Exit.flatten(exit))
      assert.strictEqual(timeout.phase, "deadline")
      assert.strictEqual(tookMs, 25_000)
      assert.isFalse(timeout.afterFirstByte)
      assert.strictEqual(timeout.bodyBytes, undefined)
      assert.include(timeout.message, "no response had arrived")
      const all = yield* Ref.get(seen)
      assert.strictEqual(all.length, 3)
      assert.isTrue(all.every((s) => s.signal.aborted))
    }))

  it.effect("covers the waits between retries of a stream before it starts", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 503, headers: { "retry-after": "20" } }], {
        deadline: "10 seconds"
      })
      const fiber = yield* Effect.fork(Effect.exit(Stream.runDrain(client.chat.completions.stream(request))))
      const { exit, tookMs } = yield* settle(fiber, "500 millis", 100)
      assert.strictEqual(timeoutOf(Exit.flatten(exit)).phase, "deadline")
      assert.strictEqual(tookMs, 10_000)
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
    }))

  it.effect("a per-request deadline and withRequestOptions override the client's; the default is 30 minutes", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ hang: true }], { timeout: Duration.infinity, deadline: "1 hour" })
      const perRequest = yield* Effect.fork(
        Effect.exit(client.chat.completions.create(request, { deadline: "3 seconds" }))
      )
      assert.strictEqual((yield* settle(perRequest, "1 second", 10)).tookMs, 3_000)
      const inContext = yield* Effect.fork(
        Effect.exit(
          client.chat.completions.create(request).pipe(NexosClient.withRequestOptions({ deadline: "4 seconds" }))
        )
      )
      assert.strictEqual((yield* settle(inContext, "1 second", 10)).tookMs, 4_000)
      const byDefault = yield* withClient([{ hang: true }], { timeout: Duration.infinity })
      const fiber = yield* Effect.fork(Effect.exit(byDefault.client.models.list()))
      const { exit, tookMs } = yield* settle(fiber, "1 minute", 40)
      assert.strictEqual(timeoutOf(Exit.flatten(exit)).phase, "deadline")
      assert.strictEqual(tookMs, Duration.toMillis(NexosClient.defaultDeadline))
      assert.strictEqual(tookMs, 30 * 60_000)
    }))

  it.effect("Duration.infinity disables it", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ hang: true }], {
        timeout: Duration.infinity,
        deadline: Duration.infinity
      })
      const fiber = yield* Effect.fork(client.chat.completions.create(request))
      yield* TestClock.adjust("10 hours")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* Fiber.interrupt(fiber)
    }))
})
