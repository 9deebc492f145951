import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as NexosError from "@nexos-effect/client/NexosError"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import { Chunk, Effect, Exit, Redacted, Ref, Stream } from "effect"
import { completionBody, type FakeReply, makeFake, runWithTestClock } from "./fakeHttp.js"

const request: ChatCompletionRequest.ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] }
const json = { "content-type": "application/json" }
const sseType = { "content-type": "text/event-stream" }

const withClient = (script: ReadonlyArray<FakeReply>, options: Partial<NexosClient.Options> = {}) =>
  Effect.gen(function*() {
    const fake = yield* makeFake(script)
    const client = yield* NexosClient.make({ apiKey: Redacted.make("k-secret"), ...options }).pipe(
      Effect.provide(fake.layer)
    )
    return { client, attempts: Effect.map(Ref.get(fake.seen), (all) => all.length) }
  })

const failureOf = <A>(exit: Exit.Exit<A, NexosError.NexosError>): NexosError.NexosError => {
  if (Exit.isSuccess(exit)) return assert.fail(`expected a failure, got ${JSON.stringify(exit.value)}`) as never
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) return assert.fail(`expected a typed failure, got ${String(exit.cause)}`) as never
  return failure
}

const answer = {
  id: "chatcmpl-json",
  object: "chat.completion",
  created: 7,
  model: "m-json",
  system_fingerprint: "fp",
  choices: [{
    index: 0,
    message: {
      role: "assistant",
      content: "It is sunny.",
      reasoning_content: "Look it up.",
      tool_calls: [
        { id: "call_a", type: "function", function: { name: "weather", arguments: "{\"city\":\"Paris\"}" } },
        { id: "call_b", type: "function", function: { name: "time", arguments: "{\"tz\":\"CET\"}" } }
      ],
      annotations: [{ type: "url_citation", url_citation: { url: "https://example.com", title: "Ex" } }]
    },
    finish_reason: "tool_calls"
  }],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 }
}

/** The same answer as a stream sends it in one piece: the whole message as one delta, then the finish, the usage. */
const answerAsSse = [
  {
    id: "chatcmpl-json",
    object: "chat.completion.chunk",
    created: 7,
    model: "m-json",
    system_fingerprint: "fp",
    choices: [{
      index: 0,
      delta: {
        role: "assistant",
        content: "It is sunny.",
        reasoning_content: "Look it up.",
        tool_calls: answer.choices[0]!.message.tool_calls.map((call, index) => ({ index, ...call })),
        annotations: answer.choices[0]!.message.annotations
      }
    }]
  },
  { id: "chatcmpl-json", model: "m-json", created: 7, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
  { id: "chatcmpl-json", model: "m-json", created: 7, choices: [], usage: answer.usage }
].map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).concat(["data: [DONE]\n\n"])

describe("a non-streaming 200 whose body is an error", () => {
  const shapes: ReadonlyArray<readonly [string, unknown, string, string | number | undefined]> = [
    [
      "{error:{...}}",
      { error: { message: "Invalid model", type: "invalid_request_error", code: "bad_model" } },
      "BadRequest",
      "bad_model"
    ],
    ["{error:string}", { error: "upstream provider failed" }, "ServerError", undefined],
    ["bare {message, code}", { message: "Model not found", code: 100110 }, "NotFound", 100110],
    ["{detail}", { detail: "Not authenticated" }, "ServerError", undefined],
    [
      "{object:error}",
      { object: "error", message: "max_tokens too large", type: "BadRequestError", code: 400 },
      "BadRequest",
      400
    ],
    [
      "JSON array",
      [{ error: { code: 403, message: "Permission denied", status: "PERMISSION_DENIED" } }],
      "PermissionDenied",
      403
    ],
    [
      "Anthropic",
      { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
      "AuthenticationError",
      undefined
    ]
  ]
  for (const [shape, body, tag, code] of shapes) {
    it.effect(`${shape} is ${tag} with its message and code, never a completion`, () =>
      Effect.gen(function*() {
        const { attempts, client } = yield* withClient([{ body: body as object, headers: json }])
        const error = failureOf(yield* runWithTestClock(client.chat.completions.create(request), "1 minute"))
        assert.strictEqual(error._tag, tag)
        assert.strictEqual(NexosError.code(error), code)
        assert.strictEqual(NexosError.status(error), 200)
        assert.include(error.message, "HTTP 200 with an error body: ")
        assert.notInclude(error.message, "k-secret")
        assert.strictEqual(yield* attempts, tag === "ServerError" ? 3 : 1)
      }))
  }

  it.effect("the message is the body's message", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ body: { error: { message: "Provider returned error", code: 400 } } }])
      const error = yield* Effect.flip(client.chat.completions.create(request))
      assert.strictEqual(error.message, "HTTP 200 with an error body: Provider returned error")
    }))

  it.effect("a retryable one is retried like its status would be, then the completion comes", () =>
    Effect.gen(function*() {
      const limited = { error: { message: "Rate limit reached", type: "rate_limit_error" } }
      const { attempts, client } = yield* withClient([
        { body: limited, headers: { ...json, "retry-after-ms": "100" } },
        { body: completionBody }
      ])
      const exit = yield* runWithTestClock(client.chat.completions.create(request), "1 minute")
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(Exit.isSuccess(exit) && exit.value.choices[0]!.message.content, "hi")
      assert.strictEqual(yield* attempts, 2)
    }))

  it.effect("models.list and embeddings.create read error bodies the same way", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ body: { error: { message: "Forbidden", type: "permission_error" } } }])
      const models = yield* Effect.flip(client.models.list())
      assert.strictEqual(models._tag, "PermissionDenied")
      const embeddings = yield* Effect.flip(client.embeddings.create({ model: "e", input: "x" }))
      assert.strictEqual(embeddings._tag, "PermissionDenied")
    }))

  it.effect("a completion with `error: null` is still a completion", () =>
    Effect.gen(function*() {
      const { client } = yield* withClient([{ body: { ...completionBody, error: null } }])
      const completion = yield* client.chat.completions.create(request)
      assert.strictEqual(completion.choices[0]!.message.content, "hi")
    }))
})

describe("a streaming request answered with a JSON body", () => {
  const eventsOf = (client: NexosClient.Service) =>
    Effect.map(Stream.runCollect(client.chat.completions.stream(request)), Chunk.toReadonlyArray)

  it.effect("a completion gives the same events as a stream of it, and accumulates to it", () =>
    Effect.gen(function*() {
      const streamed = yield* withClient([{ pieces: answerAsSse, headers: sseType }])
      const expected = yield* eventsOf(streamed.client)
      for (const headers of [json, sseType, { "content-type": "text/plain" }, {}]) {
        const { client } = yield* withClient([{ body: answer, headers }])
        const events = yield* eventsOf(client)
        assert.deepStrictEqual(
          events.map((e) => e._tag === "Metadata" ? { ...e, headers: undefined, meta: undefined } : e),
          expected.map((e) => e._tag === "Metadata" ? { ...e, headers: undefined, meta: undefined } : e),
          JSON.stringify(headers)
        )
      }
      assert.deepStrictEqual(expected.map((e) => e._tag), [
        "Metadata",
        "ReasoningDelta",
        "TextDelta",
        "ToolCallStart",
        "ToolCallDelta",
        "ToolCallStart",
        "ToolCallDelta",
        "Citation",
        "ToolCall",
        "ToolCall",
        "Finish",
        "Usage"
      ])
      const { client } = yield* withClient([{ body: answer, headers: json }])
      const accumulated = yield* ChatStream.accumulate(client.chat.completions.streamChunks(request))
      const created = yield* (yield* withClient([{ body: answer, headers: json }])).client.chat.completions.create(
        request
      )
      assert.deepStrictEqual(accumulated, created)
    }))

  it.effect("an error body is its typed error, retried when retryable before anything was emitted", () =>
    Effect.gen(function*() {
      const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }
      const { attempts, client } = yield* withClient([
        { body: overloaded, headers: json },
        { pieces: answerAsSse, headers: sseType }
      ])
      const exit = yield* runWithTestClock(Stream.runCollect(client.chat.completions.stream(request)), "1 minute")
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(yield* attempts, 2)
      const quota = { error: { message: "You exceeded your current quota", code: "insufficient_quota" } }
      const once = yield* withClient([{ body: quota, headers: json }])
      const error = yield* Effect.flip(Stream.runDrain(once.client.chat.completions.stream(request)))
      assert.strictEqual(error._tag, "QuotaExceeded")
      assert.strictEqual(error.message, "HTTP 200 with an error body: You exceeded your current quota")
      assert.strictEqual(NexosError.code(error), "insufficient_quota")
      assert.strictEqual(yield* once.attempts, 1)
    }))

  it.effect("a JSON error body mislabelled as an event stream is its typed error, not StreamTruncated", () =>
    Effect.gen(function*() {
      for (const headers of [sseType, { "content-type": "text/plain" }]) {
        const { client } = yield* withClient([{
          body: { error: { message: "Model not found", code: 100110 } },
          headers: { ...headers, "x-request-id": "req_7" }
        }])
        const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.streamChunks(request)))
        assert.strictEqual(error._tag, "NotFound")
        assert.include(error.message, "Model not found")
        assert.strictEqual(NexosError.code(error), 100110)
        assert.strictEqual(NexosError.requestId(error), "req_7")
      }
    }))

  it.effect("a text body that is no event stream fails with DecodeError quoting it", () =>
    Effect.gen(function*() {
      const bodies = ["error code: 1010", "<!DOCTYPE html><html><body>Bad gateway</body></html>"]
      for (const body of bodies) {
        const { client } = yield* withClient([{ body, headers: { "content-type": "text/html" } }])
        const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(request)))
        assert.strictEqual(error._tag, "DecodeError")
        assert.include(error.message, body.slice(0, 16))
        assert.include(error._tag === "DecodeError" ? error.excerpt : "", body)
      }
      const silent = yield* withClient([{ pieces: [": ping\n\n", "\n"], headers: sseType }])
      const truncated = yield* Effect.flip(Stream.runDrain(silent.client.chat.completions.stream(request)))
      assert.strictEqual(truncated._tag, "StreamTruncated")
    }))

  it.effect("an SSE error frame's body is bounded", () =>
    Effect.gen(function*() {
      const frame = `data: ${JSON.stringify({ error: { message: "boom", code: 500, trace: "t".repeat(200_000) } })}\n\n`
      const { client } = yield* withClient([{ pieces: [frame], headers: sseType }])
      const error = yield* Effect.flip(Stream.runDrain(client.chat.completions.stream(request)))
      assert.strictEqual(error._tag, "StreamError")
      assert.strictEqual(error.message, "boom")
      assert.isBelow(JSON.stringify(error._tag === "StreamError" ? error.body : "").length, 4_096)
    }))
})

describe("status mapping through the client", () => {
  it.effect("a redirect is UnexpectedStatus naming the target, sent once", () =>
    Effect.gen(function*() {
      const { attempts, client } = yield* withClient([{
        status: 308,
        body: "",
        headers: { location: "https://api.nexos.ai/v1/chat/completions" }
      }], { baseUrl: "http://api.nexos.ai/v1" })
      const error = yield* Effect.flip(client.chat.completions.create(request))
      assert.strictEqual(error._tag, "UnexpectedStatus")
      assert.include(error.message, "https://api.nexos.ai/v1/chat/completions")
      assert.isFalse(error.isRetryable)
      assert.strictEqual(yield* attempts, 1)
      const streamed = yield* withClient([{ status: 302, body: "", headers: { location: "/login" } }])
      const streamError = yield* Effect.flip(Stream.runDrain(streamed.client.chat.completions.stream(request)))
      assert.strictEqual(streamError._tag, "UnexpectedStatus")
    }))

  it.effect("501 is not retried, 503 is", () =>
    Effect.gen(function*() {
      const notImplemented = yield* withClient([{ status: 501, body: { error: { message: "Not Implemented" } } }])
      const error = failureOf(yield* runWithTestClock(notImplemented.client.chat.completions.create(request)))
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual(yield* notImplemented.attempts, 1)
      const unavailable = yield* withClient([{ status: 503, body: { error: { message: "down" } } }])
      failureOf(yield* runWithTestClock(unavailable.client.chat.completions.create(request)))
      assert.strictEqual(yield* unavailable.attempts, 3)
    }))
})
