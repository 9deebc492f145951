import { assert, describe, it } from "@effect/vitest"
import { ApiError } from "@nexos-effect/schema"
import { MockGateway } from "@nexos-effect/testing"
import { Effect } from "effect"
import { bounded, chat, json, post, text, user } from "./helpers.js"

const expectError = (response: Response, status: number) =>
  Effect.gen(function*() {
    assert.strictEqual(response.status, status)
    assert.strictEqual(response.headers.get("content-type"), "application/json")
    assert.match(response.headers.get("x-request-id") ?? "", /^req_mock_/)
    const body = yield* json(response)
    assert.deepStrictEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"])
    return body.error
  })

describe("request validation", () => {
  it.scopedLive("an invalid request gets a 400 invalid_request_error naming the field", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const empty = yield* expectError(yield* chat(gateway, { model: "m", messages: [] }), 400)
      assert.strictEqual(empty.type, "invalid_request_error")
      assert.strictEqual(empty.param, "messages")
      assert.include(empty.message, "messages")
      const n = yield* expectError(yield* chat(gateway, { model: "m", messages: user("x"), n: 0 }), 400)
      assert.strictEqual(n.param, "n")
      assert.include(n.message, "n: must be an integer from 1 to 128, got 0")
      const tool = yield* expectError(
        yield* chat(gateway, { model: "m", messages: [{ role: "tool", content: "r" }] }),
        400
      )
      assert.strictEqual(tool.param, "messages[0].tool_call_id")
      const missing = yield* expectError(yield* chat(gateway, { messages: user("x") }), 400)
      assert.strictEqual(missing.param, "model")
      assert.strictEqual(missing.code, "missing_required_parameter")
      const notJson = yield* expectError(yield* chat(gateway, "{not json"), 400)
      assert.strictEqual(notJson.code, "invalid_json")
      assert.strictEqual(ApiError.fromBody({ error: notJson }).type, "invalid_request_error")
    })))

  it.scopedLive("unknown top-level fields (vendor extras) are accepted and recorded", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, { model: "m", messages: user("x"), vendor_flag: true })
      assert.strictEqual(response.status, 200)
      yield* text(response)
      const [request] = yield* gateway.requests
      assert.strictEqual((request.body as any).vendor_flag, true)
    })))

  it.scopedLive("an unknown path is a 404 and embeddings are validated", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const unknown = yield* expectError(yield* post(gateway, "/nothing", {}), 404)
      assert.strictEqual(unknown.code, "unknown_url")
      const embeddings = yield* expectError(yield* post(gateway, "/embeddings", { model: "e" }), 400)
      assert.strictEqual(embeddings.param, "input")
    })))
})

describe("authentication", () => {
  it.scopedLive("a missing or wrong key is a 401; Bearer, X-Api-Key and X-Nexos-Key are accepted", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ apiKey: "nexos-team-secret" })
      const body = JSON.stringify({ model: "m", messages: user("x") })
      const send = (headers: Record<string, string>) =>
        Effect.tryPromise(() =>
          fetch(`${gateway.url}/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body
          })
        )
      const missing = yield* expectError(yield* send({}), 401)
      assert.strictEqual(missing.type, "authentication_error")
      assert.include(missing.message, "Missing API key")
      const wrong = yield* expectError(yield* send({ authorization: "Bearer nexos-wrong" }), 401)
      assert.strictEqual(wrong.code, "invalid_api_key")
      assert.notInclude(JSON.stringify(wrong), "nexos-wrong")
      assert.strictEqual((yield* send({ authorization: "Bearer nexos-team-secret" })).status, 200)
      assert.strictEqual((yield* send({ "x-api-key": "nexos-team-secret" })).status, 200)
      assert.strictEqual((yield* send({ "x-nexos-key": "nexos-team-secret", "x-api-key": "wrong" })).status, 200)
      assert.strictEqual((yield* send({ "x-api-key": "nexos-team-secret", authorization: "Bearer wrong" })).status, 200)
    })))

  it.scopedLive("auth: false accepts any request", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ auth: false })
      const response = yield* Effect.tryPromise(() =>
        fetch(`${gateway.url}/models`, { headers: { "user-agent": "test" } })
      )
      assert.strictEqual(response.status, 200)
    })))
})
