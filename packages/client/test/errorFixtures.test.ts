import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import { Effect, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { makeFake } from "./fakeHttp.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const dir = path.resolve(root, "test/fixtures/real-world/errors")
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()

const tagFor = (status: number, body: { error?: { code?: unknown; type?: unknown } }): string => {
  switch (status) {
    case 400:
      return "BadRequest"
    case 401:
      return "AuthenticationError"
    case 402:
      return "OutOfCredits"
    case 403:
      return "PermissionDenied"
    case 404:
      return "NotFound"
    case 409:
      return "Conflict"
    case 422:
      return "UnprocessableEntity"
    case 429:
      return body.error?.code === "insufficient_quota" ? "QuotaExceeded" : "RateLimited"
    default:
      return status >= 500 ? "ServerError" : "BadRequest"
  }
}

const innerError = (body: any): { message: string; code?: string | number } =>
  body.error && typeof body.error === "object" ? body.error : body.detail && typeof body.detail === "object" ?
    body.detail :
    body

describe("real-world error bodies map to tagged errors", () => {
  assert.isAbove(fixtures.length, 5)
  for (const file of fixtures) {
    const fixture = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"))
    it.effect(file, () =>
      Effect.gen(function*() {
        const fake = yield* makeFake([{
          status: fixture.status,
          body: fixture.body,
          headers: { "retry-after": "0", ...fixture.headers }
        }])
        const client = yield* NexosClient.make({ apiKey: Redacted.make("k-test") }).pipe(
          Effect.provide(fake.layer)
        )
        const error = yield* Effect.flip(
          client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })
        )
        const expected = innerError(fixture.body)
        assert.strictEqual(error._tag, tagFor(fixture.status, fixture.body))
        assert.strictEqual(error.message, `HTTP ${fixture.status}: ${expected.message}`)
        if ("status" in error) assert.strictEqual(error.status, fixture.status)
        if ("code" in error) assert.strictEqual(error.code, expected.code ?? undefined)
        if ("body" in error) assert.deepStrictEqual(error.body, fixture.body)
      }))
  }
})
