import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as NexosError from "@nexos-effect/client/NexosError"
import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import { Chunk, Duration, Effect, Exit, Option, Redacted, Ref, Schedule, Stream } from "effect"
import { completionBody, type FakeReply, makeFake, runWithTestClock, type Seen } from "./fakeHttp.js"

const request: ChatCompletionRequest.ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] }

const withClient = (script: ReadonlyArray<FakeReply>, options: Partial<NexosClient.Options> = {}) =>
  Effect.gen(function*() {
    const fake = yield* makeFake(script)
    const client = yield* NexosClient.make({ apiKey: Redacted.make("k"), ...options }).pipe(Effect.provide(fake.layer))
    return { client, seen: fake.seen }
  })

const gaps = (seen: ReadonlyArray<Seen>) => seen.slice(1).map((s, i) => s.at - seen[i]!.at)

const fixed = Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

describe("RetryPolicy: a custom schedule and Retry-After", () => {
  const script: ReadonlyArray<FakeReply> = [
    { status: 429, headers: { "retry-after": "7" } },
    { status: 503 },
    { status: 503, headers: { "retry-after-ms": "2500" } },
    { body: completionBody }
  ]

  it.effect("honorRetryAfter: the server's wait when it gave one, the schedule's otherwise", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient(script, { retry: RetryPolicy.honorRetryAfter(fixed) })
      const exit = yield* runWithTestClock(client.chat.completions.create(request), "1 minute")
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(gaps(yield* Ref.get(seen)), [7000, 1000, 2500])
    }))

  it.effect("the bare schedule waits its own delays (so the test above can fail)", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient(script, { retry: fixed })
      yield* runWithTestClock(client.chat.completions.create(request), "1 minute")
      assert.deepStrictEqual(gaps(yield* Ref.get(seen)), [1000, 1000, 1000])
    }))

  it.effect("the schedule still decides how many retries there are", () =>
    Effect.gen(function*() {
      const once = RetryPolicy.honorRetryAfter(Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(1))))
      const { client, seen } = yield* withClient(script, { retry: once })
      const exit = yield* runWithTestClock(Effect.flip(client.chat.completions.create(request)), "1 minute")
      assert.strictEqual(Exit.isSuccess(exit) ? exit.value._tag : "no failure", "ServerError")
      assert.deepStrictEqual(gaps(yield* Ref.get(seen)), [7000])
    }))

  it("retryAfter reads the server's wait from an error", () => {
    const limited = new NexosError.RateLimited({ message: "slow down", status: 429, retryAfterMs: 1500 })
    assert.deepStrictEqual(RetryPolicy.retryAfter(limited), Option.some(Duration.millis(1500)))
    const server = new NexosError.ServerError({ message: "oops", status: 503 })
    assert.isTrue(Option.isNone(RetryPolicy.retryAfter(server)))
    const connection = new NexosError.ConnectionError({ message: "reset", beforeFirstByte: true })
    assert.isTrue(Option.isNone(RetryPolicy.retryAfter(connection)))
  })
})

describe("RetryPolicy: which failures are retried", () => {
  const retryBadRequests: RetryPolicy.RetryOn = (error) => error.isRetryable || error._tag === "BadRequest"

  it.effect("by default a 400 is not retried", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 400 }, { body: completionBody }])
      const exit = yield* runWithTestClock(Effect.flip(client.chat.completions.create(request)), "1 minute")
      assert.strictEqual(Exit.isSuccess(exit) ? exit.value._tag : "no failure", "BadRequest")
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
    }))

  it.effect("retryOn on the client widens it, with the default schedule", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 400 }, { body: completionBody }], {
        retryOn: retryBadRequests
      })
      const exit = yield* runWithTestClock(client.chat.completions.create(request), "1 minute")
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual((yield* Ref.get(seen)).length, 2)
    }))

  it.effect("retryOn per request narrows it, also through withRequestOptions", () =>
    Effect.gen(function*() {
      const direct = yield* withClient([{ status: 503 }, { body: completionBody }])
      const failed = yield* runWithTestClock(
        Effect.flip(direct.client.chat.completions.create(request, { retryOn: () => false })),
        "1 minute"
      )
      assert.strictEqual(Exit.isSuccess(failed) ? failed.value._tag : "no failure", "ServerError")
      assert.strictEqual((yield* Ref.get(direct.seen)).length, 1)
      const scoped = yield* withClient([{ status: 400 }, { body: completionBody }])
      const ok = yield* runWithTestClock(
        scoped.client.chat.completions.create(request).pipe(
          NexosClient.withRequestOptions({ retryOn: retryBadRequests })
        ),
        "1 minute"
      )
      assert.isTrue(Exit.isSuccess(ok))
      assert.strictEqual((yield* Ref.get(scoped.seen)).length, 2)
    }))

  it.effect("streams: retryOn applies before the response starts", () =>
    Effect.gen(function*() {
      const sse = [
        `data: ${
          JSON.stringify({ id: "c", created: 1, model: "m", choices: [{ index: 0, delta: { content: "ok" } }] })
        }\n\n`,
        "data: [DONE]\n\n"
      ]
      const { client, seen } = yield* withClient([{ status: 422 }, {
        pieces: sse,
        headers: { "content-type": "text/event-stream" }
      }], { retryOn: (e) => e._tag === "UnprocessableEntity" })
      const exit = yield* runWithTestClock(Stream.runCollect(client.chat.completions.stream(request)), "1 minute")
      const events = Chunk.toReadonlyArray(Exit.getOrElse(exit, () => Chunk.empty()))
      assert.deepStrictEqual(events.flatMap((e) => e._tag === "TextDelta" ? [e.delta] : []), ["ok"])
      assert.strictEqual((yield* Ref.get(seen)).length, 2)
    }))
})
