import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as Models from "@nexos-effect/schema/Models"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk, Duration, Effect, Layer, Redacted, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const nexos = NexosClient.NexosClient
const gateway = MockGateway.MockGateway

/** A second client on the same gateway with another key. */
const clientWithKey = (key: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const gw = yield* gateway
    const transport = yield* Layer.build(NodeHttpClient.layerUndici)
    return yield* NexosClient.make({ apiKey: key, baseUrl: gw.url }).pipe(Effect.provide(transport))
  })

describe("API keys, agents, models and fallbacks against the embedded gateway (real sockets)", () => {
  it.scopedLive("user and team keys: create (value Redacted), list, update, bulk, regenerate, delete", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const created = yield* client.apiKeys.user.create({ name: "ci", expiration_date: "2030-01-01T00:00:00Z" })
      assert.isTrue(Redacted.isRedacted(created.api_key))
      const value = Redacted.value(created.api_key!)
      assert.match(value, /^nexos-[0-9a-f]{32}$/)
      assert.notInclude(String(created.api_key), value)
      assert.notInclude(JSON.stringify(created), value)
      assert.strictEqual(created.expiration_date, "2030-01-01T00:00:00Z")

      const withNewKey = yield* clientWithKey(created.api_key!)
      assert.isAbove((yield* withNewKey.models.list()).data.length, 0)

      const listed = yield* client.apiKeys.user.list()
      assert.deepStrictEqual(listed.map((k) => k.name), ["ci"])
      assert.notStrictEqual(Redacted.value(listed[0]!.api_key!), value)

      const updated = yield* client.apiKeys.user.update(created.id, { name: "ci-renamed", enabled: false })
      assert.strictEqual(updated.name, "ci-renamed")
      assert.strictEqual(updated.enabled, false)
      const disabled = yield* Effect.flip(withNewKey.models.list())
      assert.strictEqual(disabled._tag, "AuthenticationError")

      const team = client.apiKeys.team("team-42")
      const a = yield* team.create({ name: "a" })
      const b = yield* team.create({ name: "b" })
      assert.match(Redacted.value(a.api_key!), /^nexos-team-/)
      const bulk = yield* team.bulkUpdate({ items: [{ id: a.id, enabled: false }, { id: b.id, remove: true }] })
      assert.deepStrictEqual(bulk.map((k) => [k.name, k.enabled, k.removed]), [["a", false, false], ["b", true, true]])
      assert.deepStrictEqual((yield* team.list()).map((k) => k.name), ["a"])
      const regenerated = yield* team.regenerate(a.id)
      assert.notStrictEqual(Redacted.value(regenerated.api_key!), Redacted.value(a.api_key!))
      yield* team.delete(a.id)
      assert.deepStrictEqual(yield* team.list(), [])
      const gone = yield* Effect.flip(team.delete(a.id))
      assert.strictEqual(gone._tag, "NotFound")

      const gw = yield* gateway
      const before = (yield* gw.requests).length
      const empty = yield* Effect.flip(client.apiKeys.user.create({ name: "" }))
      assert.strictEqual(empty._tag, "InvalidRequest")
      const badId = yield* Effect.flip(team.bulkUpdate({ items: [{ id: "not-a-uuid" }] }))
      assert.include(badId.message, "UUID")
      const badDate = yield* Effect.flip(client.apiKeys.user.create({ name: "x", expiration_date: "tomorrow" }))
      assert.include(badDate.message, "date-time")
      assert.strictEqual((yield* gw.requests).length, before)
      for (const r of yield* gw.requests) assert.notInclude(JSON.stringify(r), value)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("rotate: the new value comes back Redacted, the old key stops working, the new one works", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const rotated = yield* client.apiKeys.rotate()
      assert.isTrue(Redacted.isRedacted(rotated.api_key))
      assert.match(Redacted.value(rotated.api_key), /^nexos-[0-9a-f]{32}$/)
      const old = yield* Effect.flip(client.models.list())
      assert.strictEqual(old._tag, "AuthenticationError")
      const fresh = yield* clientWithKey(rotated.api_key)
      assert.isAbove((yield* fresh.models.list()).data.length, 0)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("agents: a page, sorted, with shared ones on request; all of them as a lazily paged stream", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const own = yield* client.agents.list()
      assert.deepStrictEqual(own.data.map((a) => a.name), ["Support triage", "Contract reviewer"])
      assert.strictEqual(own.total, 2)
      const sorted = yield* client.agents.list({ include_shared: true, sort_by: { field: "name", order: "asc" } })
      assert.deepStrictEqual(sorted.data.map((a) => a.name), ["Contract reviewer", "Support triage", "Team glossary"])
      assert.strictEqual(sorted.data[0]!.model, "Claude Sonnet 4.5")
      const all = yield* Stream.runCollect(client.agents.stream({ include_shared: true, limit: 1 }))
      assert.strictEqual(Chunk.size(all), 3)
      const urls = (yield* (yield* gateway).requests).filter((r) => r.path === "/v1/agents").map((r) => r.url)
      assert.deepStrictEqual(urls.slice(1), [
        "/v1/agents?sort_by.field=name&sort_by.order=asc&include_shared=true",
        "/v1/agents?limit=1&offset=0&include_shared=true",
        "/v1/agents?limit=1&offset=1&include_shared=true",
        "/v1/agents?limit=1&offset=2&include_shared=true"
      ])
      const bad = yield* Effect.flip(client.agents.list({ limit: 201 }))
      assert.strictEqual(bad._tag, "InvalidRequest")
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("models: resolve a name to its nexos_model_id (ambiguous names list the candidates), pricing, timeouts", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const models = yield* client.models.list()
      const mini = yield* client.models.resolve("GPT 4.1 mini")
      assert.strictEqual(mini.name, "GPT 4.1 mini")
      assert.match(Models.modelId(mini), /^[0-9a-f-]{36}$/)
      assert.strictEqual((yield* client.models.resolve(Models.modelId(mini))).name, "GPT 4.1 mini")
      assert.strictEqual((yield* client.models.resolve("gpt 4.1 MINI")).name, "GPT 4.1 mini")
      assert.deepStrictEqual(Models.pricing(mini), { inputPerToken: 0.0000025, outputPerToken: 0.00001 })
      const limits = Models.timeouts(mini)
      assert.strictEqual(Duration.toMillis(limits.timeout!), 60_000)
      assert.strictEqual(Duration.toMillis(limits.streamTimeout!), 300_000)

      const missing = yield* Effect.flip(client.models.resolve("GPT 9"))
      assert.strictEqual(missing._tag, "ModelNotFound")
      assert.include(missing.message, "GPT 4.1 mini")

      const twins = {
        ...models,
        data: [
          ...models.data,
          { ...mini, nexos_model_id: "11111111-1111-4111-8111-111111111111", region: "US" }
        ]
      }
      const ambiguous = Models.resolve(twins, "GPT 4.1 mini")
      assert.isTrue(ambiguous._tag === "Left" && ambiguous.left._tag === "AmbiguousModel")
      if (ambiguous._tag === "Left" && ambiguous.left._tag === "AmbiguousModel") {
        assert.deepStrictEqual(ambiguous.left.candidates.map((c) => c.nexos_model_id), [
          Models.modelId(mini),
          "11111111-1111-4111-8111-111111111111"
        ])
        assert.include(ambiguous.left.message, "11111111-1111-4111-8111-111111111111 (GPT 4.1 mini, openai, US)")
      }
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("model fallbacks: create, get, update, delete by nexos_model_id; a display name is refused", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const id = (name: string) => Effect.map(client.models.resolve(name), Models.modelId)
      const mini = yield* id("GPT 4.1 mini")
      const claude = yield* id("Claude Sonnet 4.5")
      const gemini = yield* id("Gemini 2.5 Flash")

      const none = yield* Effect.flip(client.models.fallbacks.get(mini))
      assert.strictEqual(none._tag, "NotFound")
      const created = yield* client.models.fallbacks.create(mini, [claude, gemini])
      assert.strictEqual(created.id, mini)
      assert.deepStrictEqual(created.fallback_ids, [claude, gemini])
      assert.deepStrictEqual((yield* client.models.fallbacks.get(mini)).fallback_ids, [claude, gemini])
      const updated = yield* client.models.fallbacks.update(mini, [gemini])
      assert.deepStrictEqual(updated.fallback_ids, [gemini])
      yield* client.models.fallbacks.delete(mini)
      assert.strictEqual((yield* Effect.flip(client.models.fallbacks.get(mini)))._tag, "NotFound")

      const byName = yield* Effect.flip(client.models.fallbacks.get("GPT 4.1 mini"))
      assert.strictEqual(byName._tag, "InvalidRequest")
      assert.include(byName.message, "models.resolve")
      const unknown = yield* Effect.flip(
        client.models.fallbacks.create(mini, ["22222222-2222-4222-8222-222222222222"])
      )
      assert.strictEqual(unknown._tag, "BadRequest")
      assert.include(unknown.message, "Unknown fallback model")
    }).pipe(Effect.provide(clientOnMock())))
})
