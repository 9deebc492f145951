import { assert, describe, it } from "@effect/vitest"
import * as Agents from "@nexos-effect/schema/Agents"
import * as ApiKeys from "@nexos-effect/schema/ApiKeys"
import * as Audio from "@nexos-effect/schema/Audio"
import * as Images from "@nexos-effect/schema/Images"
import * as ModelFallbacks from "@nexos-effect/schema/ModelFallbacks"
import * as Models from "@nexos-effect/schema/Models"
import { Either, Redacted, Schema } from "effect"

const valid = <A, I>(schema: Schema.Schema<A, I>, value: unknown) =>
  Either.isRight(Schema.validateEither(schema)(value))

describe("Audio", () => {
  it("speech requests are strict: input length, voice, format, speed", () => {
    assert.isTrue(valid(Audio.SpeechRequest, { model: "tts-1", input: "hi", voice: "coral", speed: 0.25 }))
    for (
      const bad of [
        { model: "tts-1", input: "", voice: "alloy" },
        { model: "tts-1", input: "x".repeat(4097), voice: "alloy" },
        { model: "tts-1", input: "hi", voice: "bob" },
        { model: "tts-1", input: "hi", voice: "alloy", response_format: "ogg" },
        { model: "tts-1", input: "hi", voice: "alloy", speed: 4.5 },
        { model: "", input: "hi", voice: "alloy" }
      ]
    ) assert.isFalse(valid(Audio.SpeechRequest, bad), JSON.stringify(bad))
  })

  it("a verbose transcription decodes its string duration; nulls are absent; unknown fields kept", () => {
    const t = Schema.decodeUnknownSync(Audio.Transcription)({
      text: "hi",
      duration: "1.50",
      language: null,
      segments: [{ id: 0, start: 0, end: 1.5, text: "hi", extra: 1 }],
      x_vendor: true
    })
    assert.strictEqual(t.duration, 1.5)
    assert.strictEqual(t.format, "json")
    assert.isUndefined(t.language)
    assert.strictEqual((t as unknown as { x_vendor: boolean }).x_vendor, true)
    assert.strictEqual(Schema.decodeUnknownSync(Audio.Transcription)({ text: "a", duration: 2 }).duration, 2)
  })

  it("transcription params: ISO-639-1 language, granularities only with verbose_json", () => {
    assert.isTrue(valid(Audio.TranscriptionParams, { model: "w", language: "pl" }))
    assert.isFalse(valid(Audio.TranscriptionParams, { model: "w", language: "polish" }))
    assert.isFalse(valid(Audio.TranscriptionParams, { model: "w", timestamp_granularities: ["word"] }))
    assert.isTrue(
      valid(Audio.TranscriptionParams, {
        model: "w",
        response_format: "verbose_json",
        timestamp_granularities: ["word"]
      })
    )
    assert.isTrue(Audio.isJsonFormat("verbose_json"))
    assert.isFalse(Audio.isJsonFormat("srt"))
  })
})

describe("Images", () => {
  it("requests are strict; answers decode either form and b64 images to bytes", () => {
    assert.isTrue(valid(Images.ImageGenerationRequest, { model: "m", prompt: "p", n: 10, size: "1792x1024" }))
    assert.isFalse(valid(Images.ImageGenerationRequest, { model: "m", prompt: "p", n: 0 }))
    assert.isFalse(valid(Images.ImageGenerationRequest, { model: "m", prompt: "p", size: "100x100" }))
    assert.isFalse(valid(Images.ImageGenerationRequest, { model: "m", prompt: "p", mask: "x" }))
    const answer = Schema.decodeUnknownSync(Images.ImagesResponse)({
      data: [{ url: "https://x/y.png", b64_json: null }, { b64_json: "AQID" }]
    })
    assert.strictEqual(answer.created, 0)
    assert.isUndefined(Images.bytes(answer.data[0]!))
    assert.deepStrictEqual([...Images.bytes(answer.data[1]!)!], [1, 2, 3])
  })
})

describe("ApiKeys", () => {
  it("key values decode to Redacted, bare or under data; lists bare or under data", () => {
    const key = Schema.decodeUnknownSync(ApiKeys.ApiKeyResponse)({
      data: { id: "k", api_key: "nexos-secret", name: "n" }
    })
    assert.strictEqual(Redacted.value(key.api_key!), "nexos-secret")
    assert.notInclude(String(key.api_key), "secret")
    const bare = Schema.decodeUnknownSync(ApiKeys.ApiKeyResponse)({ id: "k", api_key: "nexos-x", enabled: true })
    assert.strictEqual(bare.enabled, true)
    assert.strictEqual(Schema.decodeUnknownSync(ApiKeys.ApiKeyList)({ data: [{ id: "a" }, { id: "b" }] }).length, 2)
    assert.strictEqual(Schema.decodeUnknownSync(ApiKeys.ApiKeyList)([{ id: "a" }]).length, 1)
  })

  it("a rotation answer gives the new value from api_key or key; none is an error", () => {
    const decode = Schema.decodeUnknownSync(ApiKeys.RotatedKey)
    assert.strictEqual(Redacted.value(decode({ api_key: "nexos-new" }).api_key), "nexos-new")
    assert.strictEqual(Redacted.value(decode({ key: "nexos-k" }).api_key), "nexos-k")
    assert.strictEqual(Redacted.value(decode({ data: { id: "i", api_key: "nexos-d" } }).api_key), "nexos-d")
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(ApiKeys.RotatedKey)({ id: "i" })))
  })

  it("create, update and bulk requests are strict", () => {
    assert.isTrue(valid(ApiKeys.CreateApiKeyRequest, { name: "n", expiration_date: null }))
    assert.isFalse(valid(ApiKeys.CreateApiKeyRequest, { name: "x".repeat(256) }))
    assert.isFalse(valid(ApiKeys.CreateApiKeyRequest, { name: "n", enabled: true }))
    assert.isTrue(valid(ApiKeys.UpdateApiKeyRequest, { name: "n", enabled: false }))
    const id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    assert.isTrue(valid(ApiKeys.BulkUpdateRequest, { items: [{ id, remove: true }] }))
    assert.isFalse(valid(ApiKeys.BulkUpdateRequest, { items: [] }))
    assert.isFalse(valid(ApiKeys.BulkUpdateRequest, { items: Array.from({ length: 101 }, () => ({ id })) }))
  })
})

describe("Agents and fallbacks", () => {
  it("an agent list decodes as an array or under data, agents, items", () => {
    const agent = { id: "a", name: "A", model: "m", created_at: "2026-01-01T00:00:00Z" }
    for (const body of [[agent], { data: [agent], total: 1 }, { agents: [agent] }, { items: [agent] }]) {
      assert.deepStrictEqual(Schema.decodeUnknownSync(Agents.AgentList)(body).data.map((a) => a.id), ["a"])
    }
    assert.deepStrictEqual(
      Agents.queryParams({ limit: 5, sort_by: { field: "name", order: "desc" } }),
      { limit: "5", "sort_by.field": "name", "sort_by.order": "desc" }
    )
    assert.isFalse(valid(Agents.ListQuery, { sort_by: { field: "name" } }))
  })

  it("fallbacks are UUIDs", () => {
    assert.isTrue(ModelFallbacks.isModelId("3f2504e0-4f89-41d3-9a0c-0305e82c3301"))
    assert.isFalse(ModelFallbacks.isModelId("GPT 4.1 mini"))
    assert.isFalse(valid(ModelFallbacks.FallbacksRequest, { models: ["GPT 4.1 mini"] }))
  })
})

describe("Models helpers", () => {
  const model = (id: string, name: string, nexos: string): Models.UserModel =>
    Schema.decodeUnknownSync(Models.UserModel)({ id, name, nexos_model_id: nexos })

  it("resolve prefers the nexos_model_id, then the id, then the exact name, then any case", () => {
    const list = [model("gpt-4.1", "GPT 4.1", "u1"), model("GPT 4.1", "Other", "u2")]
    assert.strictEqual(Either.getOrThrow(Models.resolve(list, "u2")).nexos_model_id, "u2")
    assert.strictEqual(Either.getOrThrow(Models.resolve(list, "GPT 4.1")).nexos_model_id, "u2")
    assert.strictEqual(Either.getOrThrow(Models.resolve(list, "OTHER")).nexos_model_id, "u2")
    const both = Models.resolve(list, "gpt 4.1")
    assert.isTrue(Either.isLeft(both) && both.left._tag === "AmbiguousModel")
    if (Either.isLeft(both) && both.left._tag === "AmbiguousModel") {
      assert.deepStrictEqual(both.left.candidates.map((c) => c.nexos_model_id), ["u1", "u2"])
    }
    const none = Models.resolve(list, "claude")
    assert.isTrue(Either.isLeft(none) && none.left._tag === "ModelNotFound")
  })

  it("pricing reads decimal strings and leaves out what is not a number", () => {
    const priced = Schema.decodeUnknownSync(Models.UserModel)({
      id: "m",
      pricing: { input_cost_per_token: "0.000001", output_cost_per_token: "n/a", cache_read_cost_per_token: "" }
    })
    assert.deepStrictEqual(Models.pricing(priced), { inputPerToken: 0.000001 })
    assert.deepStrictEqual(Models.timeouts(priced), { timeout: undefined, streamTimeout: undefined })
  })
})
