import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Deferred, Effect, Fiber, Ref, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const ask = (content: string): ChatCompletionRequest.ChatCompletionRequest => ({
  model: "GPT 5.4 mini",
  messages: [{ role: "user", content }]
})

const fastRetry = { initialDelay: "2 millis", maxDelay: "10 millis" } as const

const item = (i: number, fault?: Fault.Fault): Batch.Item => ({
  key: `k${i}`,
  request: ask(`prompt ${i}`),
  ...(fault === undefined ? {} : { options: { headers: Fault.header(fault) } })
})

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const gateway = MockGateway.MockGateway

const stormUntil = { value: 0 }

const fixedCompletion = {
  id: "chatcmpl-fixed",
  object: "chat.completion",
  created: 1_767_225_600,
  model: "GPT 5.4 mini",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, nexos_credits_cost: 0.00001 }
}

describe("Batch.run against the embedded gateway (real sockets)", () => {
  it.live("10 000 keyed requests with faults: one result per key, failures typed", () =>
    Effect.gen(function*() {
      const n = 10_000
      const faultOf = (i: number): Fault.Fault | undefined =>
        i % 997 === 0
          ? Fault.status(400)
          : i % 499 === 0
          ? Fault.failFirst(1, Fault.status(500))
          : i % 331 === 0
          ? Fault.failFirst(1, Fault.drop(0))
          : i % 211 === 0
          ? Fault.failFirst(2, Fault.rateLimited({ retryAfterMs: 5 }))
          : i % 101 === 0
          ? Fault.delay(30)
          : undefined
      const items = Stream.range(0, n - 1).pipe(Stream.map((i) => item(i, faultOf(i))))
      const results = yield* collect(Batch.run(items, { concurrency: 64, retry: fastRetry }))
      assert.strictEqual(results.length, n)
      const keys = new Set(results.map((r) => r.key))
      assert.strictEqual(keys.size, n)
      for (let i = 0; i < n; i++) assert.isTrue(keys.has(`k${i}`))
      const byKey = new Map(results.map((r) => [r.key, r]))
      const failed = results.filter((r) => r.outcome._tag === "Failed")
      const expectedFailures = Array.from({ length: n }, (_, i) => i).filter((i) => i % 997 === 0)
      assert.deepStrictEqual(failed.map((r) => r.key).sort(), expectedFailures.map((i) => `k${i}`).sort())
      for (const r of failed) {
        assert.strictEqual(r.outcome._tag === "Failed" && r.outcome.error._tag, "BadRequest")
        assert.strictEqual(r.attempts, 1)
      }
      const retried500 = byKey.get("k499")!
      assert.strictEqual(retried500.outcome._tag, "Succeeded")
      assert.strictEqual(retried500.attempts, 2)
      const dropped = byKey.get("k331")!
      assert.strictEqual(dropped.outcome._tag, "Succeeded")
      assert.strictEqual(dropped.attempts, 2)
      const limited = byKey.get("k211")!
      assert.strictEqual(limited.outcome._tag, "Succeeded")
      assert.strictEqual(limited.attempts, 3)
      const ok = byKey.get("k1")!
      assert.strictEqual(ok.attempts, 1)
      assert.isTrue(ok.outcome._tag === "Succeeded" && ok.outcome.meta?.status === 200)
      assert.isTrue(ok.finishedAt! >= ok.startedAt!)
    }).pipe(Effect.provide(clientOnMock({ maxRecorded: 20_000, respond: () => Reply.json(fixedCompletion) }))), 180_000)

  it.live("ordered output follows the input order while slow items run", () =>
    Effect.gen(function*() {
      const items = Stream.range(0, 199).pipe(
        Stream.map((i) => item(i, i % 10 === 0 ? Fault.delay(40) : undefined))
      )
      const results = yield* collect(Batch.run(items, { concurrency: 16, ordered: true }))
      assert.deepStrictEqual(results.map((r) => r.index), Array.from({ length: 200 }, (_, i) => i))
      assert.deepStrictEqual(results.map((r) => r.key), Array.from({ length: 200 }, (_, i) => `k${i}`))
      assert.isTrue(results.every((r) => r.outcome._tag === "Succeeded"))
    }).pipe(Effect.provide(clientOnMock())))

  it.live("a duplicate key fails the batch with DuplicateKey, or is dropped with duplicates: skip", () =>
    Effect.gen(function*() {
      const items = Stream.make(item(1), item(2), item(1), item(3))
      const error = yield* Effect.flip(collect(Batch.run(items)))
      assert.strictEqual(error._tag, "BatchDuplicateKey")
      assert.isTrue(error._tag === "BatchDuplicateKey" && error.key === "k1" && error.index === 2)
      assert.include(error.message, "\"k1\"")
      const skipped = yield* collect(Batch.run(items, { duplicates: "skip" }))
      assert.deepStrictEqual(skipped.map((r) => r.key).sort(), ["k1", "k2", "k3"])
    }).pipe(Effect.provide(clientOnMock())))

  it.live("a resumed run makes no request for a finished key; retryFailed runs retryable failures again", () =>
    Effect.gen(function*() {
      const gw = yield* gateway
      const store = yield* Batch.makeStoreMemory
      const items = Stream.range(0, 29).pipe(
        Stream.map((i) =>
          item(i, i === 3 ? Fault.status(400) : i === 7 ? Fault.failFirst(1, Fault.status(503)) : undefined)
        )
      )
      const first = yield* collect(
        Batch.run(items, { retry: { maxRetries: 0 } }).pipe(Stream.provideService(Batch.Store, store))
      )
      assert.strictEqual(first.length, 30)
      assert.strictEqual(store.recorded.size, 30)
      assert.deepStrictEqual(store.recorded.get("k7"), {
        key: "k7",
        status: "failed",
        retryable: true,
        error: "ServerError"
      })
      assert.strictEqual((yield* gw.requests).length, 30)

      const second = yield* collect(Batch.run(items).pipe(Stream.provideService(Batch.Store, store)))
      assert.strictEqual(second.length, 30)
      assert.isTrue(second.every((r) => r.outcome._tag === "Skipped" && r.attempts === 0))
      assert.strictEqual((yield* gw.requests).length, 30)

      const third = yield* collect(
        Batch.run(items, { retryFailed: true }).pipe(Stream.provideService(Batch.Store, store))
      )
      const requests = (yield* gw.requests).slice(30)
      assert.strictEqual(requests.length, 1)
      assert.deepStrictEqual(requests[0]!.body, ask("prompt 7"))
      const k7 = third.find((r) => r.key === "k7")!
      assert.strictEqual(k7.outcome._tag, "Succeeded")
      assert.strictEqual(third.find((r) => r.key === "k3")!.outcome._tag, "Skipped")
      assert.strictEqual(store.recorded.get("k7")!.status, "succeeded")
    }).pipe(Effect.provide(clientOnMock())))

  it.live("interruption mid-run: in-flight requests cancelled, every key reported done or not done", () =>
    Effect.gen(function*() {
      const gw = yield* gateway
      const stop = yield* Deferred.make<void>()
      const seen = yield* Ref.make(0)
      const items = Stream.range(0, 99).pipe(Stream.map((i) => item(i, i < 8 ? undefined : Fault.delay(2_000))))
      const results = yield* collect(
        Batch.run(items, { concurrency: 8, stopWhen: Deferred.await(stop) }).pipe(
          Stream.tap(() =>
            Effect.flatMap(
              Ref.updateAndGet(seen, (n) => n + 1),
              (n) => n === 8 ? Deferred.succeed(stop, void 0) : Effect.void
            )
          )
        )
      )
      assert.strictEqual(results.length, 100)
      assert.strictEqual(new Set(results.map((r) => r.key)).size, 100)
      const succeeded = results.filter((r) => r.outcome._tag === "Succeeded")
      const notDone = results.filter((r) => r.outcome._tag === "NotDone")
      assert.strictEqual(succeeded.length + notDone.length, 100)
      assert.deepStrictEqual(succeeded.map((r) => r.key).sort(), Array.from({ length: 8 }, (_, i) => `k${i}`).sort())
      const cancelled = notDone.filter((r) => r.attempts === 1)
      assert.strictEqual(cancelled.length, 8)
      const received = (yield* gw.requests).length
      assert.isAtMost(received, 16)
      const disconnects = yield* gw.awaitDisconnects(received - 8).pipe(Effect.timeout("5 seconds"))
      assert.isTrue(disconnects.every((d) => d.path === "/v1/chat/completions"))
    }).pipe(Effect.provide(clientOnMock())))

  it.live(
    "a fiber interrupt keeps what was received: the store has it, and a resumed run completes the rest",
    () =>
      Effect.gen(function*() {
        const gw = yield* gateway
        const store = yield* Batch.makeStoreMemory
        const emitted = yield* Ref.make<ReadonlyArray<string>>([])
        const items = Stream.range(0, 59).pipe(Stream.map((i) => item(i, i < 20 ? undefined : Fault.delay(1_500))))
        const fiber = yield* Batch.run(items, { concurrency: 10 }).pipe(
          Stream.tap((r) => Ref.update(emitted, (all) => [...all, r.key])),
          Stream.runDrain,
          Effect.provideService(Batch.Store, store),
          Effect.fork
        )
        yield* gw.awaitRequests(25)
        yield* Fiber.interrupt(fiber)
        const before = yield* Ref.get(emitted)
        assert.isAtLeast(before.length, 15)
        for (const key of before) assert.strictEqual(store.recorded.get(key)?.status, "succeeded")
        const sentBefore = (yield* gw.requests).length
        const resumed = yield* collect(
          Batch.run(items, { concurrency: 10 }).pipe(Stream.provideService(Batch.Store, store))
        )
        assert.strictEqual(resumed.length, 60)
        const skipped = resumed.filter((r) => r.outcome._tag === "Skipped").map((r) => r.key)
        assert.deepStrictEqual(
          [...skipped].sort(),
          [...store.recorded.keys()].filter((k) => skipped.includes(k)).sort()
        )
        const after = (yield* gw.requests).slice(sentBefore).map((r) =>
          (r.body as ChatCompletionRequest.ChatCompletionRequest).messages[0]!.content
        )
        for (const key of skipped) assert.notInclude(after, `prompt ${key.slice(1)}`)
        assert.isTrue(resumed.every((r) => r.outcome._tag === "Succeeded" || r.outcome._tag === "Skipped"))
      }).pipe(Effect.provide(clientOnMock())),
    60_000
  )

  it.live("budget guard: once the credits are spent no request starts; the rest is NotDone(budget)", () =>
    Effect.gen(function*() {
      const gw = yield* gateway
      const results = yield* collect(Batch.run(Stream.range(0, 49).pipe(Stream.map((i) => item(i))), {
        concurrency: 1,
        budget: { tokens: 100 }
      }))
      const succeeded = results.filter((r) => r.outcome._tag === "Succeeded")
      const spent = (upTo: number) =>
        succeeded.slice(0, upTo).reduce((sum, r) => {
          const usage = r.outcome._tag === "Succeeded" ? r.outcome.value.usage! : undefined
          return sum + usage!.prompt_tokens + usage!.completion_tokens
        }, 0)
      assert.isAtLeast(spent(succeeded.length), 100)
      assert.isBelow(spent(succeeded.length - 1), 100)
      assert.strictEqual((yield* gw.requests).length, succeeded.length)
      const rest = results.filter((r) => r.outcome._tag !== "Succeeded")
      assert.strictEqual(rest.length, 50 - succeeded.length)
      assert.isTrue(
        rest.every((r) => r.outcome._tag === "NotDone" && r.outcome.reason === "budget" && r.attempts === 0)
      )
    }).pipe(Effect.provide(clientOnMock())))

  it.live("requests per window respected where requests leave the client and on the request log (small real window)", () => {
    const sentAt: Array<number> = []
    return Effect.gen(function*() {
      const gw = yield* gateway
      yield* collect(Batch.run(Stream.range(0, 14).pipe(Stream.map((i) => item(i))), {
        concurrency: 8,
        rateLimit: { requestsPerMinute: 5, window: "600 millis" }
      }))
      const logged = (yield* gw.requests).map((r) => r.receivedAt).sort((a, b) => a - b)
      assert.strictEqual(logged.length, 15)
      assert.isAtLeast(logged[14]! - logged[0]!, 900)
      const at = sentAt.sort((a, b) => a - b)
      assert.strictEqual(at.length, 15)
      for (let i = 0; i + 5 < at.length; i++) assert.isAtLeast(at[i + 5]! - at[i]!, 450)
      assert.isAtLeast(at[14]! - at[0]!, 1050)
    }).pipe(Effect.provide(clientOnMock({}, {
      transformClient: HttpClient.tapRequest(() => Effect.sync(() => void sentAt.push(performance.now())))
    })))
  })

  it.live("a 429 storm backs off together: far fewer 429s than requests retried one by one would draw", () =>
    Effect.gen(function*() {
      stormUntil.value = Date.now() + 600
      const gw = yield* gateway
      const results = yield* collect(Batch.run(Stream.range(0, 63).pipe(Stream.map((i) => item(i))), {
        concurrency: 16,
        retry: { maxRetries: 20 }
      }))
      assert.isTrue(results.every((r) => r.outcome._tag === "Succeeded"))
      const requests = yield* gw.requests
      const limited = requests.filter((r) => r.receivedAt < stormUntil.value)
      assert.isAtMost(limited.length, 32)
      assert.strictEqual(requests.length, 64 + limited.length)
    }).pipe(Effect.provide(clientOnMock({
      respond: (_, received) =>
        received.receivedAt < stormUntil.value
          ? Reply.error(429, { message: "Rate limit exceeded" }, { "retry-after-ms": "100" })
          : undefined
    }))))
})

describe("Batch.embed against the embedded gateway (real sockets)", () => {
  const texts = Array.from({ length: 25 }, (_, i) => `text number ${i}`.padEnd(40, "."))
  const inputs = Stream.fromIterable(texts.map((input, i) => ({ key: `e${i}`, input })))

  it.live("inputs split into requests, reassembled with their keys in input order; a failed request fails only its inputs", () =>
    Effect.gen(function*() {
      const gw = yield* gateway
      yield* gw.queueFaults({ status: 400, path: "/v1/embeddings" })
      const results = yield* collect(
        Batch.embed(inputs, { model: "text-embedding-3-small", batchSize: 10, concurrency: 1, ordered: true })
      )
      assert.deepStrictEqual(results.map((r) => r.key), texts.map((_, i) => `e${i}`))
      assert.deepStrictEqual(results.map((r) => r.index), texts.map((_, i) => i))
      const sent = (yield* gw.requests).map((r) => (r.body as { input: ReadonlyArray<string> }).input)
      assert.deepStrictEqual(sent.map((input) => input.length), [10, 10, 5])
      assert.deepStrictEqual(sent.flat(), texts)
      for (const r of results.slice(0, 10)) {
        assert.isTrue(r.outcome._tag === "Failed" && r.outcome.error._tag === "BadRequest")
      }
      const client = yield* NexosClient.NexosClient
      for (const i of [10, 17, 24]) {
        const direct = yield* client.embeddings.create({ model: "text-embedding-3-small", input: texts[i]! })
        const r = results[i]!
        assert.isTrue(r.outcome._tag === "Succeeded")
        assert.deepStrictEqual(r.outcome._tag === "Succeeded" && r.outcome.value.embedding, direct.data[0]!.embedding)
      }
    }).pipe(Effect.provide(clientOnMock())))

  it.live("a token budget per request; a resumed embed sends only the inputs not recorded", () =>
    Effect.gen(function*() {
      const gw = yield* gateway
      const store = yield* Batch.makeStoreMemory
      const first = yield* collect(
        Batch.embed(inputs.pipe(Stream.take(12)), {
          model: "text-embedding-3-small",
          maxTokensPerRequest: 35
        }).pipe(Stream.provideService(Batch.Store, store))
      )
      assert.strictEqual(first.length, 12)
      const sizes = (yield* gw.requests).map((r) => (r.body as { input: ReadonlyArray<string> }).input.length)
      assert.deepStrictEqual(sizes, [3, 3, 3, 3])
      assert.strictEqual(store.recorded.size, 12)
      const second = yield* collect(
        Batch.embed(inputs, { model: "text-embedding-3-small", batchSize: 100 }).pipe(
          Stream.provideService(Batch.Store, store)
        )
      )
      assert.strictEqual(second.length, 25)
      assert.strictEqual(second.filter((r) => r.outcome._tag === "Skipped").length, 12)
      const last = (yield* gw.requests).slice(4)
      assert.strictEqual(last.length, 1)
      assert.deepStrictEqual((last[0]!.body as { input: ReadonlyArray<string> }).input, texts.slice(12))
    }).pipe(Effect.provide(clientOnMock())))
})
