import { HttpClient, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import {
  Chunk,
  Clock,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Redacted,
  Stream,
  SubscriptionRef,
  TestClock
} from "effect"
import { completionBody, runWithTestClock } from "./fakeHttp.js"

interface Answer {
  readonly status?: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
  readonly delayMs?: number
}

interface Received {
  readonly at: number
  readonly status: number
  readonly content: string
  readonly inFlight: number
}

/** A fake transport on the TestClock: `answer(n, now)` decides each reply; every request is logged with the number
 * of requests in flight when it arrived. */
const fakeGateway = (answer: (n: number, now: number) => Answer) => {
  const log: Array<Received> = []
  let inFlight = 0
  const client = HttpClient.make((request) =>
    Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      const reply = answer(log.length, at)
      const text = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : "{}"
      const content = (JSON.parse(text) as { messages: ReadonlyArray<{ content: string }> }).messages[0]!.content
      inFlight++
      log.push({ at, status: reply.status ?? 200, content, inFlight })
      yield* Effect.sleep(reply.delayMs ?? 0).pipe(Effect.ensuring(Effect.sync(() => inFlight--)))
      return HttpClientResponse.fromWeb(
        request,
        new Response(JSON.stringify(reply.body ?? completionBody), {
          status: reply.status ?? 200,
          headers: reply.headers ?? {}
        })
      )
    })
  )
  const layer = NexosClient.layer({ apiKey: Redacted.make("k"), baseUrl: "http://fake.test/v1" }).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
  )
  return { log, layer }
}

const items = (n: number, content: (i: number) => string = (i) => `prompt ${i}`) =>
  Stream.range(0, n - 1).pipe(
    Stream.map((i): Batch.Item => ({
      key: `k${i}`,
      request: { model: "m", messages: [{ role: "user", content: content(i) }] }
    }))
  )

const runAll = <E>(
  stream: Stream.Stream<Batch.Result, E, NexosClient.NexosClient>,
  layer: Layer.Layer<NexosClient.NexosClient, unknown>,
  limit: Duration.DurationInput = "10 minutes",
  step: Duration.DurationInput = "100 millis"
) =>
  Effect.flatMap(
    runWithTestClock(
      Stream.runCollect(stream).pipe(Effect.map(Chunk.toReadonlyArray), Effect.provide(layer)),
      limit,
      step
    ),
    (exit) => Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.dieMessage(`batch failed: ${exit.cause}`)
  )

const usage = (promptTokens: number, completionTokens: number, credits: number) => ({
  ...completionBody,
  usage: {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    nexos_credits_cost: credits
  }
})

describe("Batch pacing (TestClock)", () => {
  it.effect("requestsPerMinute: no window of one minute holds more requests than the limit", () =>
    Effect.gen(function*() {
      const gw = fakeGateway(() => ({}))
      const results = yield* runAll(
        Batch.run(items(25), { concurrency: 8, rateLimit: { requestsPerMinute: 10 } }),
        gw.layer,
        "5 minutes",
        "1 second"
      )
      assert.strictEqual(results.length, 25)
      assert.deepStrictEqual(
        gw.log.map((r) => r.at),
        [...Array(10).fill(0), ...Array(10).fill(60_000), ...Array(5).fill(120_000)]
      )
    }))

  it.effect("tokensPerMinute: estimated before sending, corrected by the usage that comes back", () =>
    Effect.gen(function*() {
      const long = (i: number) => `${i}`.padEnd(200, ".")
      assert.strictEqual(Batch.estimateTokens({ model: "m", messages: [{ role: "user", content: long(1) }] }), 54)
      const cheap = fakeGateway(() => ({ body: usage(3, 1, 0) }))
      yield* runAll(
        Batch.run(items(10, long), { concurrency: 1, rateLimit: { tokensPerMinute: 120 } }),
        cheap.layer,
        "5 minutes",
        "1 second"
      )
      assert.deepStrictEqual(cheap.log.map((r) => r.at), Array(10).fill(0))
      const costly = fakeGateway(() => ({ body: usage(50, 10, 0) }))
      yield* runAll(
        Batch.run(items(6, long), { concurrency: 4, rateLimit: { tokensPerMinute: 120 } }),
        costly.layer,
        "5 minutes",
        "1 second"
      )
      assert.deepStrictEqual(costly.log.map((r) => r.at), [0, 0, 60_000, 60_000, 120_000, 120_000])
    }))

  it.effect("a 429 storm: everyone waits, in-flight requests are halved once, then ramp up again", () =>
    Effect.gen(function*() {
      const gw = fakeGateway((_, now) =>
        now < 1_000
          ? { status: 429, delayMs: 100, body: { error: { message: "slow down" } } }
          : { delayMs: 100 }
      )
      const results = yield* runAll(
        Batch.run(items(60), { concurrency: 8, retry: { initialDelay: "1 second", jitter: 0 } }),
        gw.layer
      )
      assert.isTrue(results.every((r) => r.outcome._tag === "Succeeded"))
      const limited = gw.log.filter((r) => r.status === 429)
      assert.strictEqual(limited.length, 8)
      assert.isTrue(limited.every((r) => r.at === 0))
      const afterPause = gw.log.filter((r) => r.at === 1_100)
      assert.strictEqual(afterPause.length, 4)
      assert.strictEqual(Math.max(...gw.log.filter((r) => r.at >= 1_100 && r.at < 1_200).map((r) => r.inFlight)), 4)
      assert.strictEqual(Math.max(...gw.log.filter((r) => r.at >= 1_300).map((r) => r.inFlight)), 8)
      assert.strictEqual(gw.log.length, 68)
      assert.strictEqual(results.filter((r) => r.attempts === 2).length, 8)
    }))

  it.effect("Retry-After of a 429 holds every request back; the key itself is retried", () =>
    Effect.gen(function*() {
      const gw = fakeGateway((n) => n === 0 ? { status: 429, headers: { "retry-after": "7" } } : {})
      const results = yield* runAll(Batch.run(items(4), { concurrency: 1 }), gw.layer)
      assert.deepStrictEqual(gw.log.map((r) => r.at), [0, 7_000, 7_000, 7_000, 7_000])
      assert.deepStrictEqual(gw.log.map((r) => r.content), ["prompt 0", "prompt 0", "prompt 1", "prompt 2", "prompt 3"])
      assert.strictEqual(results[0]!.attempts, 2)
    }))

  it.effect("exhausted x-ratelimit-remaining-requests pauses until x-ratelimit-reset-requests", () =>
    Effect.gen(function*() {
      const gw = fakeGateway((n) =>
        n === 0 ? { headers: { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s" } } : {}
      )
      yield* runAll(Batch.run(items(3), { concurrency: 1 }), gw.layer)
      assert.deepStrictEqual(gw.log.map((r) => r.at), [0, 2_000, 2_000])
    }))
})

describe("Batch budget, progress and stop (TestClock)", () => {
  it.effect("budget: no request starts once the tokens or credits are spent; the rest is NotDone(budget)", () =>
    Effect.gen(function*() {
      const byTokens = fakeGateway(() => ({ body: usage(3, 1, 0.001) }))
      const results = yield* runAll(Batch.run(items(10), { concurrency: 1, budget: { tokens: 10 } }), byTokens.layer)
      assert.strictEqual(byTokens.log.length, 3)
      assert.deepStrictEqual(results.map((r) => r.outcome._tag), [
        ...Array(3).fill("Succeeded"),
        ...Array(7).fill("NotDone")
      ])
      assert.isTrue(results.slice(3).every((r) => r.outcome._tag === "NotDone" && r.outcome.reason === "budget"))
      const byCredits = fakeGateway(() => ({ body: usage(3, 1, 0.001) }))
      yield* runAll(Batch.run(items(10), { concurrency: 1, budget: { credits: 0.0045 } }), byCredits.layer)
      assert.strictEqual(byCredits.log.length, 5)
    }))

  it.effect("progress: counts, tokens, credits and the end, as data", () =>
    Effect.gen(function*() {
      const gw = fakeGateway((n) => n === 4 ? { status: 400, body: { error: { message: "no" } } } : {})
      const progress = yield* Batch.makeProgress
      yield* runAll(Batch.run(items(10), { concurrency: 2, progress }), gw.layer)
      const last = yield* SubscriptionRef.get(progress)
      assert.deepStrictEqual({ ...last, eta: undefined, elapsed: undefined, rate: 0 }, {
        total: 10,
        done: 10,
        succeeded: 9,
        failed: 1,
        skipped: 0,
        notDone: 0,
        inFlight: 0,
        retried: 0,
        promptTokens: 27,
        completionTokens: 9,
        credits: 0.009000000000000001,
        rate: 0,
        eta: undefined,
        elapsed: undefined,
        finished: true
      })
    }))

  it.effect("stopWhen: in-flight requests are cancelled and every key not finished is reported NotDone", () =>
    Effect.gen(function*() {
      const gw = fakeGateway(() => ({ delayMs: 1_000 }))
      const results = yield* runAll(
        Batch.run(items(10), { concurrency: 2, stopWhen: Effect.sleep("1500 millis") }),
        gw.layer
      )
      assert.strictEqual(results.length, 10)
      assert.deepStrictEqual(new Set(results.map((r) => r.key)).size, 10)
      const byTag = (tag: string) => results.filter((r) => r.outcome._tag === tag)
      assert.deepStrictEqual(byTag("Succeeded").map((r) => r.key).sort(), ["k0", "k1"])
      const cancelled = byTag("NotDone").filter((r) => r.attempts === 1)
      assert.deepStrictEqual(cancelled.map((r) => r.key).sort(), ["k2", "k3"])
      assert.strictEqual(byTag("NotDone").length, 8)
      assert.strictEqual(gw.log.length, 4)
    }))
})

describe("Batch progress rendering", () => {
  const progress: Batch.Progress = {
    ...Batch.emptyProgress,
    total: 10_000,
    done: 5_200,
    succeeded: 5_150,
    failed: 50,
    inFlight: 64,
    retried: 12,
    promptTokens: 1_000_000,
    completionTokens: 200_000,
    credits: 3.21,
    rate: 85,
    eta: Duration.seconds(56),
    elapsed: Duration.seconds(61)
  }

  it("renderProgress: bar, percentage, counts, tokens, credits, rate and eta on one line", () => {
    assert.strictEqual(
      Batch.renderProgress(progress, 140),
      "[################..............]  52% 5 200/10 000 | 5 150 ok, 50 failed, 64 in flight, 12 retried | " +
        "1.2M tok, 3.2100 credits | 85/s eta 56s"
    )
    assert.strictEqual(
      Batch.renderProgress({ ...progress, total: undefined, finished: true, inFlight: 0 }, 200),
      "5 200 | 5 150 ok, 50 failed, 0 in flight, 12 retried | 1.2M tok, 3.2100 credits | 85/s in 1m01s"
    )
    assert.isAtMost(Batch.renderProgress(progress, 60).length, 60)
  })

  it.effect("progressBar: redraws in place on a TTY until the batch is finished, plain lines otherwise", () =>
    Effect.gen(function*() {
      const ref = yield* SubscriptionRef.make<Batch.Progress>({ ...progress, total: 4, done: 1, succeeded: 1 })
      const written: Array<string> = []
      const fiber = yield* Effect.fork(
        Batch.progressBar(ref, { output: { write: (t) => written.push(t), isTTY: true, columns: 120 } })
      )
      yield* TestClock.adjust("100 millis")
      yield* SubscriptionRef.set(ref, { ...progress, total: 4, done: 4, succeeded: 4, finished: true })
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(written.length, 3)
      assert.isTrue(written.every((w) => w.startsWith("\r")))
      assert.include(written[0]!, " 25% 1/4")
      assert.isTrue(written[2]!.endsWith("\n"))
      assert.include(written[2]!, "100% 4/4")
      const plain: Array<string> = []
      yield* Batch.progressBar(ref, { output: { write: (t) => plain.push(t) }, label: "in.jsonl" })
      assert.deepStrictEqual(plain.length, 1)
      assert.match(plain[0]!, /^in\.jsonl .*100% 4\/4 .*\n$/)
    }))

  it.effect("progressBar: the last line comes when the batch finishes, not at the next interval", () =>
    Effect.gen(function*() {
      const ref = yield* SubscriptionRef.make<Batch.Progress>({ ...progress, total: 4, done: 1, succeeded: 1 })
      const plain: Array<string> = []
      const fiber = yield* Effect.fork(Batch.progressBar(ref, { output: { write: (t) => plain.push(t) } }))
      yield* TestClock.adjust("1 second")
      yield* SubscriptionRef.set(ref, { ...progress, total: 4, done: 4, succeeded: 4, finished: true })
      yield* Fiber.join(fiber)
      assert.strictEqual(plain.length, 2)
      assert.include(plain[0]!, " 25% 1/4")
      assert.include(plain[1]!, "100% 4/4")
    }))
})

describe("Batch.embed reassembly", () => {
  it.effect("embeddings are matched to inputs by their index field, whatever their order in the response", () =>
    Effect.gen(function*() {
      const client = HttpClient.make((request) =>
        Effect.sync(() => {
          const text = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : "{}"
          const input = (JSON.parse(text) as { input: ReadonlyArray<string> }).input
          const data = input.map((s, index) => ({ object: "embedding", index, embedding: [s.length, index] })).reverse()
          return HttpClientResponse.fromWeb(
            request,
            new Response(
              JSON.stringify({ object: "list", data, model: "emb", usage: { prompt_tokens: 1, total_tokens: 1 } })
            )
          )
        })
      )
      const layer = NexosClient.layer({ apiKey: Redacted.make("k"), baseUrl: "http://fake.test/v1" }).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
      )
      const inputs = ["a", "bb", "ccc", "dddd", "eeeee"].map((input, i) => ({ key: `x${i}`, input }))
      const results = yield* Batch.embed(Stream.fromIterable(inputs), { model: "emb", batchSize: 3, ordered: true })
        .pipe(
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray),
          Effect.provide(layer)
        )
      assert.deepStrictEqual(
        results.map((r) => [r.key, r.outcome._tag === "Succeeded" ? r.outcome.value.embedding : undefined]),
        [["x0", [1, 0]], ["x1", [2, 1]], ["x2", [3, 2]], ["x3", [4, 0]], ["x4", [5, 1]]]
      )
    }))
})
