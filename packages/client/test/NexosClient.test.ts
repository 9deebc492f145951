import { HttpClient, HttpClientError } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import {
  ConfigProvider,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Ref,
  TestClock
} from "effect"
import { inspect } from "node:util"
import { completionBody, type FakeReply, makeFake, runWithTestClock } from "./fakeHttp.js"

const apiKey = "nexos-secret-key-123"
const request: ChatCompletionRequest.ChatCompletionRequest = {
  model: "GPT 5.4 mini",
  messages: [{ role: "user", content: "hello" }]
}

const withClient = (script: ReadonlyArray<FakeReply>, options: Partial<NexosClient.Options> = {}) =>
  Effect.gen(function*() {
    const fake = yield* makeFake(script)
    const client = yield* NexosClient.make({ apiKey: Redacted.make(apiKey), ...options }).pipe(
      Effect.provide(fake.layer)
    )
    return { client, seen: fake.seen }
  })

const runForked = runWithTestClock

const gaps = (seen: ReadonlyArray<{ at: number }>) => seen.slice(1).map((s, i) => s.at - seen[i]!.at)

describe("NexosClient transport policy", () => {
  for (const status of [408, 409, 429, 500, 502, 503, 504]) {
    it.effect(`retries HTTP ${status} and then succeeds`, () =>
      Effect.gen(function*() {
        const { client, seen } = yield* withClient([
          { status, body: { error: { message: "try again" } } },
          { status, body: { error: { message: "try again" } } },
          { body: completionBody }
        ])
        const exit = yield* runForked(client.chat.completions.create(request))
        assert.isTrue(Exit.isSuccess(exit))
        const all = yield* Ref.get(seen)
        assert.strictEqual(all.length, 3)
        assert.strictEqual(all[0]!.request.headers["x-nexos-retry-count"], undefined)
        assert.strictEqual(all[1]!.request.headers["x-nexos-retry-count"], "1")
        assert.strictEqual(all[2]!.request.headers["x-nexos-retry-count"], "2")
      }))
  }

  const nonRetryable: ReadonlyArray<[number, string]> = [
    [400, "BadRequest"],
    [401, "AuthenticationError"],
    [402, "OutOfCredits"],
    [403, "PermissionDenied"],
    [404, "NotFound"],
    [422, "UnprocessableEntity"]
  ]
  for (const [status, tag] of nonRetryable) {
    it.effect(`does not retry HTTP ${status} (${tag})`, () =>
      Effect.gen(function*() {
        const { client, seen } = yield* withClient([{ status, body: { error: { message: "no", code: "c" } } }])
        const error = yield* runForked(client.chat.completions.create(request).pipe(Effect.flip))
        assert.isTrue(Exit.isSuccess(error))
        if (Exit.isSuccess(error)) {
          assert.strictEqual(error.value._tag, tag)
          assert.isFalse(error.value.isRetryable)
        }
        assert.strictEqual((yield* Ref.get(seen)).length, 1)
      }))
  }

  it.effect("gives up after 2 retries and returns the last error", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 503, body: { error: { message: "down" } } }])
      const exit = yield* runForked(Effect.flip(client.chat.completions.create(request)))
      assert.strictEqual((yield* Ref.get(seen)).length, 3)
      assert.isTrue(Exit.isSuccess(exit) && exit.value._tag === "ServerError" && exit.value.status === 503)
    }))

  it.effect("waits retry-after-ms", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([
        { status: 429, headers: { "retry-after-ms": "1500" } },
        { body: completionBody }
      ])
      const exit = yield* runForked(client.chat.completions.create(request))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(gaps(yield* Ref.get(seen)), [1500])
    }))

  it.effect("waits Retry-After seconds", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 503, headers: { "retry-after": "3" } }, {
        body: completionBody
      }])
      yield* runForked(client.chat.completions.create(request))
      assert.deepStrictEqual(gaps(yield* Ref.get(seen)), [3000])
    }))

  it.effect("waits until a Retry-After HTTP date", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1, 12, 0, 0))
      const date = new Date(Date.UTC(2026, 0, 1, 12, 0, 7)).toUTCString()
      const { client, seen } = yield* withClient([{ status: 429, headers: { "retry-after": date } }, {
        body: completionBody
      }])
      yield* runForked(client.chat.completions.create(request))
      assert.deepStrictEqual(gaps(yield* Ref.get(seen)), [7000])
    }))

  it.effect("ignores Retry-After over 60 s and backs off instead", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 429, headers: { "retry-after": "120" } }, {
        body: completionBody
      }])
      yield* runForked(client.chat.completions.create(request))
      const [gap] = gaps(yield* Ref.get(seen))
      assert.isTrue(gap! >= 375 && gap! <= 500, `gap ${gap}`)
    }))

  it.effect("backs off exponentially from 0.5 s to 8 s with at most 25% jitter", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ status: 500 }], { retry: RetryPolicy.make({ maxRetries: 6 }) })
      yield* runForked(Effect.flip(client.chat.completions.create(request)), "2 minutes")
      const observed = gaps(yield* Ref.get(seen))
      const nominal = [500, 1000, 2000, 4000, 8000, 8000]
      assert.strictEqual(observed.length, nominal.length)
      observed.forEach((gap, i) => assert.isTrue(gap <= nominal[i]! && gap >= nominal[i]! * 0.75, `gap ${i}: ${gap}`))
    }))

  it.effect("RateLimited carries the server's retryAfter", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ status: 429, headers: { "retry-after": "2" } }], {
        retry: RetryPolicy.none
      })
      const error = yield* Effect.flip(client.chat.completions.create(request))
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag === "RateLimited") {
        assert.strictEqual(error.retryAfterMs, 2000)
        assert.isTrue(Duration.equals(error.retryAfter!, Duration.seconds(2)))
        assert.isTrue(error.isRetryable)
      }
    }))

  it.effect("x-should-retry decides before the status", () =>
    Effect.gen(function*() {
      const retried = yield* withClient([{ status: 400, headers: { "x-should-retry": "true" } }, {
        body: completionBody
      }])
      yield* runForked(retried.client.chat.completions.create(request))
      assert.strictEqual((yield* Ref.get(retried.seen)).length, 2)
      const notRetried = yield* withClient([{ status: 500, headers: { "x-should-retry": "false" } }])
      yield* runForked(Effect.flip(notRetried.client.chat.completions.create(request)))
      assert.strictEqual((yield* Ref.get(notRetried.seen)).length, 1)
    }))

  it.effect("an exhausted quota fails at once as QuotaExceeded", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{
        status: 429,
        headers: { "retry-after": "1" },
        body: {
          error: { message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" }
        }
      }])
      const exit = yield* runForked(Effect.flip(client.chat.completions.create(request)))
      assert.isTrue(Exit.isSuccess(exit) && exit.value._tag === "QuotaExceeded")
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
    }))

  it.effect("times out each attempt and retries the timeout", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ hang: true }], { timeout: "2 seconds" })
      const exit = yield* runForked(Effect.flip(client.chat.completions.create(request)), "1 minute")
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) {
        assert.strictEqual(exit.value._tag, "Timeout")
        assert.strictEqual(exit.value._tag === "Timeout" && exit.value.phase, "request")
      }
      const all = yield* Ref.get(seen)
      assert.strictEqual(all.length, 3)
      assert.isTrue(all.every((s) => s.signal.aborted), "every timed-out attempt aborted its request")
    }))

  it.effect("a timeout after the response started is not retried (no duplicate, billable completion)", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ pieces: ["{\"id\":\"x\",\"choices\":["], stall: true }], {
        timeout: "2 seconds"
      })
      const exit = yield* runForked(Effect.flip(client.chat.completions.create(request)), "1 minute")
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) {
        assert.strictEqual(exit.value._tag, "Timeout")
        assert.isTrue(exit.value._tag === "Timeout" && exit.value.afterFirstByte)
        assert.isFalse(exit.value.isRetryable)
      }
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
    }))

  it.effect("a per-request timeout and retry policy override the client's", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ hang: true }])
      const fiber = yield* Effect.fork(
        Effect.flip(client.chat.completions.create(request, { timeout: "100 millis", retry: RetryPolicy.none }))
      )
      yield* TestClock.adjust("100 millis")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "Timeout")
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
    }))

  it.effect("interrupting the caller aborts the HTTP request", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ hang: true }])
      const fiber = yield* Effect.fork(client.chat.completions.create(request))
      yield* TestClock.adjust("10 millis")
      yield* Fiber.interrupt(fiber)
      const all = yield* Ref.get(seen)
      assert.strictEqual(all.length, 1)
      assert.isTrue(all[0]!.signal.aborted)
    }))

  it.effect("an invalid request fails before any byte is sent", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ body: completionBody }])
      const error = yield* Effect.flip(client.chat.completions.create({ ...request, n: 0 }))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.include(error.message, "n: must be an integer from 1 to 128, got 0")
      assert.strictEqual((yield* Ref.get(seen)).length, 0)
    }))
})

describe("NexosClient requests and results", () => {
  it.effect("sends the encoded body, auth, user agent and JSON content type", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ body: completionBody, headers: { "x-request-id": "req-1" } }])
      const completion = yield* client.chat.completions.create({ ...request, temperature: 0.2 })
      assert.strictEqual(completion.choices[0]!.message.content, "hi")
      const [sent] = yield* Ref.get(seen)
      assert.strictEqual(sent!.url.toString(), "https://api.nexos.ai/v1/chat/completions")
      assert.strictEqual(sent!.request.headers["authorization"], `Bearer ${apiKey}`)
      assert.strictEqual(sent!.request.headers["user-agent"], NexosClient.defaultUserAgent)
      assert.deepStrictEqual(JSON.parse(sent!.body), {
        model: "GPT 5.4 mini",
        messages: [{ role: "user", content: "hello" }],
        temperature: 0.2
      })
      const meta = ResponseMeta.get(completion)
      assert.isTrue(Option.isSome(meta))
      assert.strictEqual(Option.getOrThrow(meta).requestId, "req-1")
      assert.notInclude(JSON.stringify(completion), "req-1")
    }))

  it.effect("response metadata keeps the x-nexos and rate-limit headers", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{
        body: completionBody,
        headers: {
          "x-nexos-model-id": "uuid-1",
          "x-nexos-completion-time-ms": "812",
          "x-nexos-cache": "hit",
          "x-ratelimit-remaining-requests": "99"
        }
      }])
      const meta = Option.getOrThrow(ResponseMeta.get(yield* client.chat.completions.create(request)))
      assert.strictEqual(meta.status, 200)
      assert.strictEqual(meta.nexosModelId, "uuid-1")
      assert.strictEqual(meta.completionTimeMs, 812)
      assert.strictEqual(meta.cache, "hit")
      assert.deepStrictEqual(meta.rateLimit, { "x-ratelimit-remaining-requests": "99" })
    }))

  it.effect("per-request headers, query parameters and extra body fields; withRequestOptions in the Context", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([{ body: completionBody }], {
        baseUrl: "http://127.0.0.1:1/v1/",
        authHeader: "x-api-key",
        headers: { "x-team": "a" }
      })
      yield* client.chat.completions.create(request, {
        headers: { "x-trace": "t1" },
        query: { fallbacks: "true" },
        extraBody: { vendor_flag: 1 }
      }).pipe(NexosClient.withRequestOptions({ headers: { "x-outer": "o" }, query: { outer: "1" } }))
      const [sent] = yield* Ref.get(seen)
      assert.strictEqual(sent!.url.origin + sent!.url.pathname, "http://127.0.0.1:1/v1/chat/completions")
      assert.strictEqual(sent!.url.searchParams.get("fallbacks"), "true")
      assert.strictEqual(sent!.url.searchParams.get("outer"), "1")
      assert.strictEqual(sent!.request.headers["x-api-key"], apiKey)
      assert.strictEqual(sent!.request.headers["authorization"], undefined)
      assert.strictEqual(sent!.request.headers["x-team"], "a")
      assert.strictEqual(sent!.request.headers["x-trace"], "t1")
      assert.strictEqual(sent!.request.headers["x-outer"], "o")
      assert.strictEqual(JSON.parse(sent!.body).vendor_flag, 1)
    }))

  it.effect("a body that is not JSON or not a completion fails with DecodeError and an excerpt", () =>
    Effect.gen(function*() {
      const notJson = yield* withClient([{ body: "<html>oops</html>" }])
      const e1 = yield* Effect.flip(notJson.client.chat.completions.create(request))
      assert.strictEqual(e1._tag, "DecodeError")
      assert.strictEqual(e1._tag === "DecodeError" && e1.excerpt, "<html>oops</html>")
      const wrong = yield* withClient([{ body: { choices: "nope" } }])
      const e2 = yield* Effect.flip(wrong.client.chat.completions.create(request))
      assert.strictEqual(e2._tag, "DecodeError")
      assert.include(e2.message, "choices")
    }))

  it.effect("the edge's 403 error code: 1010 says the client was blocked and suggests a User-Agent", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ status: 403, body: "error code: 1010" }])
      const error = yield* Effect.flip(client.chat.completions.create(request))
      assert.strictEqual(error._tag, "PermissionDenied")
      assert.isTrue(error._tag === "PermissionDenied" && error.blockedByEdge)
      assert.include(error.message, "User-Agent")
    }))

  it.effect("models.list and embeddings.create decode their responses", () =>
    Effect.gen(function*() {
      const { client, seen } = yield* withClient([
        {
          body: {
            object: "list",
            data: [{ id: "m1", object: "model", created: 1, owned_by: "x", name: "M" }],
            total: 1
          }
        },
        { body: { object: "list", data: [{ object: "embedding", index: 0, embedding: [0.5, 1] }], model: "e" } }
      ])
      const models = yield* client.models.list()
      assert.strictEqual(models.data[0]!.id, "m1")
      assert.strictEqual(models.total, 1)
      const embeddings = yield* client.embeddings.create({ model: "e", input: "x" })
      assert.deepStrictEqual(embeddings.data[0]!.embedding, [0.5, 1])
      const all = yield* Ref.get(seen)
      assert.strictEqual(all[0]!.request.method, "GET")
      assert.strictEqual(all[0]!.url.pathname, "/v1/models")
      assert.strictEqual(all[1]!.url.pathname, "/v1/embeddings")
      const invalid = yield* Effect.flip(client.embeddings.create({ model: "e", input: "x", dimensions: 0 }))
      assert.strictEqual(invalid._tag, "InvalidRequest")
      assert.include(invalid.message, "dimensions")
    }))
})

describe("NexosClient configuration and secrets", () => {
  it.effect("a key that cannot go in a header fails the layer; a transport failure's cause never holds the key", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ body: completionBody }])
      const bad = yield* Effect.exit(
        NexosClient.make({ apiKey: Redacted.make("sk-a\nb") }).pipe(Effect.provide(fake.layer))
      )
      assert.isTrue(Exit.isFailure(bad))
      assert.include(String(Exit.isFailure(bad) ? bad.cause : ""), "cannot go in an HTTP header")
      const failing = HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: new Error(`socket hang up sending ${request.headers["authorization"]}`, {
              cause: new Error(`inner ${apiKey}`)
            })
          })
        )
      )
      const client = yield* NexosClient.make({ apiKey: Redacted.make(apiKey), retry: RetryPolicy.none }).pipe(
        Effect.provideService(HttpClient.HttpClient, failing)
      )
      const error = yield* Effect.flip(client.chat.completions.create(request))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.notInclude(error.message, apiKey)
      assert.include(error.message, "socket hang up")
      const cause = error._tag === "ConnectionError" ? error.cause as Error : undefined
      assert.notInclude(
        String(cause?.message) + String(cause?.stack) + String((cause?.cause as Error)?.message),
        apiKey
      )
      assert.notInclude(inspect(error, { depth: 10 }), apiKey)
    }))

  it.effect("an empty API key fails the layer with a configuration error", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ body: completionBody }])
      const exit = yield* Effect.exit(
        Layer.build(NexosClient.layer({ apiKey: Redacted.make("  ") }).pipe(Layer.provide(fake.layer))).pipe(
          Effect.scoped
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "API key is empty")
    }))

  it.effect("layerConfig reads NEXOS_API_KEY and NEXOS_BASE_URL, and fails clearly when the key is missing", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ body: completionBody }])
      const configured = NexosClient.layerConfig().pipe(Layer.provide(fake.layer))
      const ok = yield* Effect.flatMap(NexosClient.NexosClient, (c) => c.chat.completions.create(request)).pipe(
        Effect.provide(configured),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["NEXOS_API_KEY", apiKey], ["NEXOS_BASE_URL", "http://127.0.0.1:9/v1"]]))
        )
      )
      assert.strictEqual(ok.id, "chatcmpl-1")
      const [sent] = yield* Ref.get(fake.seen)
      assert.strictEqual(sent!.url.origin, "http://127.0.0.1:9")
      const missing = yield* Effect.exit(
        Effect.provide(NexosClient.NexosClient, configured).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
      )
      assert.isTrue(Exit.isFailure(missing))
      assert.include(String(Exit.isFailure(missing) ? missing.cause : ""), "NEXOS_API_KEY")
    }))

  it.effect("the API key appears in no error message, error body or log line of a failing call", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => {
        lines.push(JSON.stringify({ message, annotations: Object.fromEntries(annotations) }))
      })
      const { client } = yield* withClient([
        { status: 500, body: { error: { message: `upstream saw key ${apiKey}` } } },
        { status: 401, body: { error: { message: `Incorrect API key provided: ${apiKey}`, code: "invalid_api_key" } } }
      ])
      const exit = yield* runForked(
        Effect.flip(client.chat.completions.create(request)).pipe(
          Effect.tap((error) => Effect.logError("call failed", error)),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
      )
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) {
        const error = exit.value
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.notInclude(error.message, apiKey)
        assert.notInclude(JSON.stringify(error), apiKey)
        assert.notInclude(String(error), apiKey)
        assert.include(error.message, "[REDACTED]")
      }
      assert.isTrue(lines.some((l) => l.includes("nexos: retrying")), "the retry was logged")
      for (const line of lines) assert.notInclude(line, apiKey)
    }))
})
