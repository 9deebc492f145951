import { assert, describe, it } from "@effect/vitest"
import * as ApiError from "@nexos-effect/schema/ApiError"
import { Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

type Json = any

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const dir = path.resolve(root, "test/fixtures/real-world/errors")
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()

const decode = Schema.decodeUnknownSync(ApiError.ApiError)

const orAbsent = <A>(value: A | null | undefined): A | undefined => value === null ? undefined : value

const isRecord = (u: unknown): u is Record<string, Json> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The error object of a body as the fixtures use it: under `error`, under `detail`, or the body itself. */
const errorObject = (body: Json): Record<string, Json> =>
  isRecord(body.error) ? body.error : isRecord(body.detail) ? body.detail : body

/** What the normalised error must say, derived from the raw body (null and absent are the same). */
const expected = (body: Json) => {
  const inner = errorObject(body)
  return {
    message: inner.message,
    code: orAbsent(inner.code),
    type: orAbsent(inner.type),
    param: orAbsent(inner.param)
  }
}

const fields = (error: ApiError.ApiError) => ({
  message: error.message,
  code: error.code,
  type: error.type,
  param: error.param
})

describe("real-world error bodies", () => {
  it("the fixture directory is not empty", () => {
    assert.isAbove(files.length, 0)
  })

  for (const file of files) {
    const item = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"))
    const body = item.body

    describe(file, () => {
      it("decodes to the message, code, type and param of the body", () => {
        const want = expected(body)
        assert.isString(want.message, "every fixture carries a message")
        const error = decode(body)
        assert.deepStrictEqual(fields(error), want)
        assert.deepStrictEqual(error.raw, body)
        // a numeric code stays a number, a string code a string
        if (want.code !== undefined) assert.strictEqual(typeof error.code, typeof want.code)
      })

      it("fromText reads the same from the body's JSON text", () => {
        const error = ApiError.fromText(JSON.stringify(body, null, 2))
        assert.deepStrictEqual(fields(error), expected(body))
        assert.deepStrictEqual(error.raw, body)
      })

      it("decoding the JSON text gives the same as decoding the parsed body", () => {
        assert.deepStrictEqual(fields(decode(JSON.stringify(body))), expected(body))
      })
    })
  }

  it("the set has numeric and string codes", () => {
    const codes = files.map((f) => expected(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).body).code)
    assert.isTrue(codes.some((c) => typeof c === "number"))
    assert.isTrue(codes.some((c) => typeof c === "string"))
  })
})

describe("error body variants without a fixture", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly body: unknown
    readonly want: { message: string; code?: string | number; type?: string; param?: string | number }
  }> = [
    {
      name: "a bare {message, code} (no error wrapper)",
      body: { code: 110014, message: "Action is not allowed" },
      want: { message: "Action is not allowed", code: 110014 }
    },
    {
      name: "{error: {code, message}} with the nexos numeric code",
      body: { error: { code: 100110, message: "Model not found" } },
      want: { message: "Model not found", code: 100110 }
    },
    {
      name: "{detail: string}",
      body: { detail: "Not authenticated" },
      want: { message: "Not authenticated" }
    },
    {
      name: "FastAPI validation {detail: [{loc, msg, type}]}",
      body: {
        detail: [
          { loc: ["body", "messages"], msg: "field required", type: "value_error.missing" },
          { loc: ["body", "n"], msg: "ensure this value is greater than 0", type: "value_error" }
        ]
      },
      want: { message: "body.messages: field required; body.n: ensure this value is greater than 0" }
    },
    {
      name: "a JSON array of error envelopes (the first one wins)",
      body: [{ error: { code: 429, message: "Resource exhausted", status: "RESOURCE_EXHAUSTED" } }, { error: {} }],
      want: { message: "Resource exhausted", code: 429, type: "RESOURCE_EXHAUSTED" }
    },
    {
      name: "plain text from the edge",
      body: "error code: 1010",
      want: { message: "error code: 1010" }
    },
    {
      name: "{error: \"just a string\"}",
      body: { error: "just a string" },
      want: { message: "just a string" }
    },
    {
      name: "{error: string} with a code beside it",
      body: { error: "Unauthorized", code: 401 },
      want: { message: "Unauthorized", code: 401 }
    },
    {
      name: "a numeric param",
      body: { error: { message: "bad value", type: "invalid_request_error", param: 3, code: "invalid_value" } },
      want: { message: "bad value", type: "invalid_request_error", param: 3, code: "invalid_value" }
    },
    {
      name: "{object: \"error\"} with a string code",
      body: { object: "error", message: "boom", type: "server_error", code: "internal" },
      want: { message: "boom", type: "server_error", code: "internal" }
    },
    {
      name: "null code, type and param",
      body: { error: { message: "m", type: null, param: null, code: null } },
      want: { message: "m" }
    }
  ]

  for (const { body, name, want } of cases) {
    it(name, () => {
      const expectedFields = { message: want.message, code: want.code, type: want.type, param: want.param }
      assert.deepStrictEqual(fields(decode(body)), expectedFields)
      const text = typeof body === "string" ? body : JSON.stringify(body)
      assert.deepStrictEqual(fields(ApiError.fromText(text)), expectedFields)
    })
  }

  it("an empty body still gives a message", () => {
    for (const error of [ApiError.fromText(""), ApiError.fromText("  \n"), decode("")]) {
      assert.deepStrictEqual(fields(error), {
        message: "(empty error body)",
        code: undefined,
        type: undefined,
        param: undefined
      })
    }
    assert.strictEqual(decode(null).message, "(no error body)")
    assert.strictEqual(decode([]).message, "(empty error list)")
  })

  it("text that looks like JSON but is not is kept as the message", () => {
    const error = ApiError.fromText("{\"error\": {\"message\": \"cut off")
    assert.strictEqual(error.message, "{\"error\": {\"message\": \"cut off")
    assert.strictEqual(error.raw, "{\"error\": {\"message\": \"cut off")
  })

  it("plain text keeps the raw text; a long body is clipped", () => {
    const html = `<html>${"x".repeat(5_000)}</html>`
    const error = ApiError.fromText(html)
    assert.strictEqual(error.raw, html)
    assert.isBelow(error.message.length, 2_100)
    assert.isTrue(html.startsWith(error.message.slice(0, -1)))
  })

  it("an object without a message says what it has", () => {
    const error = decode({ error: { code: "weird" } })
    assert.strictEqual(error.code, "weird")
    assert.include(error.message, "weird")
  })

  it("encodes back to the raw body", () => {
    const body = { error: { message: "m", code: 1, extra: { a: 1 } } }
    assert.deepStrictEqual(Schema.encodeSync(ApiError.ApiError)(decode(body)), body)
  })

  it("isQuotaExhausted recognises insufficient_quota as code or type", () => {
    assert.isTrue(ApiError.isQuotaExhausted(decode({ error: { message: "q", code: "insufficient_quota" } })))
    assert.isTrue(ApiError.isQuotaExhausted(decode({ error: { message: "q", type: "insufficient_quota" } })))
    assert.isFalse(ApiError.isQuotaExhausted(decode({ error: { message: "slow down", code: "rate_limit_exceeded" } })))
  })
})
