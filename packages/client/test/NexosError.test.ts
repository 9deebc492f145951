import { assert, describe, it } from "@effect/vitest"
import * as NexosError from "@nexos-effect/client/NexosError"
import { Duration, Schema } from "effect"

const failure = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): NexosError.HttpFailure => ({
  status,
  headers,
  bodyText: typeof body === "string" ? body : JSON.stringify(body),
  now: Date.UTC(2026, 0, 1)
})

const http = { message: "m", status: 500, headers: {} }

/** One instance of every class of the union. */
const everyError: ReadonlyArray<NexosError.NexosError> = [
  new NexosError.InvalidRequest({ message: "m", issues: [] }),
  new NexosError.BadRequest({ ...http, status: 400 }),
  new NexosError.AuthenticationError({ ...http, status: 401 }),
  new NexosError.OutOfCredits({ ...http, status: 402 }),
  new NexosError.PermissionDenied({ ...http, status: 403, blockedByEdge: false }),
  new NexosError.NotFound({ ...http, status: 404 }),
  new NexosError.Conflict({ ...http, status: 409 }),
  new NexosError.UnprocessableEntity({ ...http, status: 422 }),
  new NexosError.RateLimited({ ...http, status: 429, retryAfterMs: 1500 }),
  new NexosError.QuotaExceeded({ ...http, status: 429 }),
  new NexosError.ServerError(http),
  new NexosError.UnexpectedStatus({ ...http, status: 301 }),
  new NexosError.ConnectionError({ message: "m", beforeFirstByte: true }),
  new NexosError.Timeout({ message: "m", phase: "deadline", timeoutMs: 1 }),
  new NexosError.StreamTruncated({ message: "m", chunks: 0 }),
  new NexosError.StreamError({ message: "m" }),
  new NexosError.DecodeError({ message: "m", excerpt: "" })
]

describe("NexosError: type id and shared members", () => {
  it("every class is recognised by its TypeId and answers isRetryable and retryAfter", () => {
    const tags = new Set(everyError.map((e) => e._tag))
    assert.strictEqual(tags.size, everyError.length)
    for (const error of everyError) {
      assert.isTrue(NexosError.isNexosError(error), error._tag)
      assert.strictEqual(error[NexosError.TypeId], NexosError.TypeId)
      assert.isBoolean(error.isRetryable, error._tag)
      assert.isTrue(error.retryAfter === undefined || Duration.isDuration(error.retryAfter))
      assert.instanceOf(error, Error)
    }
    const limited = everyError.find((e) => e._tag === "RateLimited")!
    assert.deepStrictEqual(limited.retryAfter, Duration.millis(1500))
  })

  it("a plain object with a matching _tag (or anything else) is not a NexosError", () => {
    for (const fake of [{ _tag: "BadRequest", status: 400, message: "x", isRetryable: true }, { _tag: "Timeout" }]) {
      assert.isFalse(NexosError.isNexosError(fake))
      assert.isFalse(NexosError.isRetryable(fake))
    }
    for (const other of [null, undefined, "BadRequest", 400, new Error("x")]) {
      assert.isFalse(NexosError.isNexosError(other))
    }
  })

  it("an error decoded from its encoded form is still one of ours, with its behaviour", () => {
    const original = new NexosError.ServerError({ ...http, status: 503, headers: { "x-should-retry": "false" } })
    const encoded = Schema.encodeSync(NexosError.ServerError)(original)
    const json = JSON.parse(JSON.stringify(encoded))
    const decoded = Schema.decodeUnknownSync(NexosError.ServerError)(json)
    assert.isTrue(NexosError.isNexosError(decoded))
    assert.isFalse(decoded.isRetryable)
    assert.isFalse(NexosError.isNexosError(json))
  })
})

describe("NexosError.NexosError: the schema of the union", () => {
  it("every class encodes to JSON and decodes back into its class", () => {
    const encode = Schema.encodeSync(NexosError.NexosError)
    const decode = Schema.decodeUnknownSync(NexosError.NexosError)
    for (const error of everyError) {
      const back = decode(JSON.parse(JSON.stringify(encode(error))))
      assert.strictEqual(back._tag, error._tag)
      assert.isTrue(NexosError.isNexosError(back))
      assert.strictEqual(back.isRetryable, error.isRetryable)
    }
  })
})

describe("NexosError.fromResponse: status classes", () => {
  it("a 3xx that reaches the client is UnexpectedStatus naming the target, never retried", () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const error = NexosError.fromResponse(failure(status, "", { location: "https://api.nexos.ai/v1/chat" }))
      assert.strictEqual(error._tag, "UnexpectedStatus", String(status))
      if (error._tag !== "UnexpectedStatus") continue
      assert.strictEqual(error.status, status)
      assert.strictEqual(error.location, "https://api.nexos.ai/v1/chat")
      assert.include(error.message, "redirect")
      assert.include(error.message, "baseUrl")
      assert.isFalse(error.isRetryable)
    }
    const notModified = NexosError.fromResponse(failure(304, ""))
    assert.strictEqual(notModified._tag, "UnexpectedStatus")
    assert.notInclude(notModified.message, " to ")
    assert.strictEqual(NexosError.fromResponse(failure(199, ""))._tag, "UnexpectedStatus")
    assert.strictEqual(NexosError.fromResponse(failure(600, ""))._tag, "UnexpectedStatus")
  })

  it("5xx are retried except the statuses that say the request can never succeed (501, 505, ...)", () => {
    for (const status of [500, 502, 503, 504, 507, 520, 599]) {
      const error = NexosError.fromResponse(failure(status, { error: { message: "x" } }))
      assert.strictEqual(error._tag, "ServerError")
      assert.isTrue(error.isRetryable, String(status))
    }
    for (const status of [501, 505, 506, 508, 510, 511]) {
      const error = NexosError.fromResponse(failure(status, { error: { message: "Not Implemented" } }))
      assert.strictEqual(error._tag, "ServerError")
      assert.isFalse(error.isRetryable, String(status))
    }
    const forced = NexosError.fromResponse(failure(501, "", { "x-should-retry": "true" }))
    assert.isTrue(forced.isRetryable)
  })

  it("a large body is kept as a bounded excerpt, headers are capped in number and length", () => {
    const huge = { error: { message: "boom", code: "x", padding: "y".repeat(3_000_000) } }
    const headers: Record<string, string> = {}
    for (let i = 0; i < 5_000; i++) headers[`x-filler-${i}`] = "v"
    headers["x-big"] = "z".repeat(1_000_000)
    headers["x-request-id"] = "req_1"
    headers["retry-after"] = "2"
    headers["x-ratelimit-remaining-requests"] = "0"
    const error = NexosError.fromResponse(failure(500, huge, headers))
    assert.strictEqual(error._tag, "ServerError")
    if (error._tag !== "ServerError") return
    assert.strictEqual(error.code, "x")
    assert.include(error.message, "boom")
    assert.isString(error.body)
    assert.isBelow(String(error.body).length, 4_096)
    assert.isBelow(JSON.stringify(error).length, 100_000)
    assert.isAtMost(Object.keys(error.headers).length, 64)
    assert.strictEqual(error.headers["x-request-id"], "req_1")
    assert.strictEqual(error.headers["retry-after"], "2")
    assert.strictEqual(error.headers["x-ratelimit-remaining-requests"], "0")
    assert.strictEqual(error.retryAfterMs, 2000)
    assert.isTrue(Object.values(error.headers).every((v) => v.length < 1_100))
    const long = NexosError.fromResponse(failure(400, "e".repeat(50_000)))
    assert.isBelow(long.message.length, 2_100)
    const small = NexosError.fromResponse(failure(400, { error: { message: "no" } }, { "x-request-id": "r" }))
    assert.deepStrictEqual("body" in small ? small.body : undefined, { error: { message: "no" } })
    assert.deepStrictEqual(small.headers, { "x-request-id": "r" })
  })
})

describe("NexosError.fromResponse: a 2xx whose body is an error", () => {
  const cases: ReadonlyArray<readonly [string, unknown, string, string | number | undefined]> = [
    [
      "OpenAI envelope",
      { error: { message: "Rate limit reached", type: "rate_limit_error", code: null } },
      "RateLimited",
      undefined
    ],
    [
      "OpenAI model",
      {
        error: { message: "The model does not exist", type: "invalid_request_error", code: "model_not_found" }
      },
      "NotFound",
      "model_not_found"
    ],
    [
      "quota",
      { error: { message: "You exceeded your quota", type: "insufficient_quota" } },
      "QuotaExceeded",
      undefined
    ],
    ["numeric code", { error: { code: 429, message: "Provider returned error" } }, "RateLimited", 429],
    ["string status code", { error: { code: "503", message: "unavailable" } }, "ServerError", "503"],
    ["Google", { error: { code: 400, message: "API key not valid", status: "INVALID_ARGUMENT" } }, "BadRequest", 400],
    [
      "Anthropic",
      { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
      "ServerError",
      undefined
    ],
    [
      "Anthropic auth",
      { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
      "AuthenticationError",
      undefined
    ],
    [
      "vLLM legacy",
      { object: "error", message: "max_tokens must be at least 1", type: "BadRequestError", code: 400 },
      "BadRequest",
      400
    ],
    ["bare", { message: "Forbidden", code: "permission_denied" }, "PermissionDenied", "permission_denied"],
    [
      "FastAPI",
      { detail: { message: "Incorrect API key provided", code: "invalid_api_key" } },
      "AuthenticationError",
      "invalid_api_key"
    ],
    ["FastAPI list", { detail: [{ loc: ["body", "model"], msg: "field required" }] }, "ServerError", undefined],
    ["string error", { error: "upstream provider failed" }, "ServerError", undefined],
    [
      "array",
      [{ error: { code: 404, message: "Requested entity was not found.", status: "NOT_FOUND" } }],
      "NotFound",
      404
    ],
    ["nexos code", { error: { code: 100110, message: "Model not found" } }, "NotFound", 100110],
    ["status field", { error: { message: "slow down", status: 429 } }, "RateLimited", undefined],
    ["timeout", { error: { message: "upstream timed out", type: "timeout_error" } }, "Timeout", undefined]
  ]
  for (const [name, body, tag, code] of cases) {
    it(`${name}: ${tag}`, () => {
      const error = NexosError.fromResponse(failure(200, body, { "x-request-id": "req_9" }))
      assert.strictEqual(error._tag, tag)
      assert.include(error.message, "HTTP 200")
      assert.strictEqual(NexosError.code(error), code)
      assert.strictEqual(NexosError.requestId(error), "req_9")
      if (error._tag !== "Timeout") assert.strictEqual(error.status, 200)
    })
  }

  it("keeps the body's message", () => {
    const error = NexosError.fromResponse(failure(200, { error: { message: "Provider returned error", code: 502 } }))
    assert.strictEqual(error.message, "HTTP 200 with an error body: Provider returned error")
    assert.strictEqual(error._tag, "ServerError")
    assert.isTrue(error.isRetryable)
  })
})
