import * as AiError from "@effect/ai/AiError"
import * as Chat from "@effect/ai/Chat"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, describe, it } from "@effect/vitest"
import * as NexosLanguageModel from "@nexos-effect/ai/NexosLanguageModel"
import * as NexosTool from "@nexos-effect/ai/NexosTool"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Effect, Layer, Schema, Stream } from "effect"
import { chatBodies, clientOnMock, toolMessages } from "./support.js"

const GetWeather = Tool.make("get_weather", {
  description: "The current weather in a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})
const tools = Toolkit.make(GetWeather)
const handlers = tools.toLayer({ get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }) })

const model = NexosLanguageModel.layer({ model: "GPT 5.4 mini", config: { temperature: 0.2 } })
const on = (gateway: MockGateway.Options = {}) =>
  Layer.provideMerge(Layer.merge(model, handlers), clientOnMock(gateway))

describe("NexosLanguageModel against the mock gateway", () => {
  it.scopedLive("generateText: text, response metadata, finish with usage and nexos credits, config per call", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({ prompt: "Say hello" })
      assert.strictEqual(response.text, "Hello from the nexos mock gateway. You said: Say hello")
      assert.strictEqual(response.finishReason, "stop")
      const finish = response.content.find((p) => p.type === "finish")!
      const usage = finish.metadata.nexos?.usage
      assert.isDefined(usage)
      assert.strictEqual(response.usage.inputTokens, usage!.prompt_tokens)
      assert.strictEqual(response.usage.outputTokens, usage!.completion_tokens)
      assert.strictEqual(response.usage.totalTokens, usage!.total_tokens)
      assert.isAbove(finish.metadata.nexos!.credits!, 0)
      assert.strictEqual(finish.metadata.nexos!.credits, usage!.nexos_credits_cost)
      assert.strictEqual(finish.metadata.nexos!.rawFinishReason, "stop")
      const meta = response.content.find((p) => p.type === "response-metadata")!
      assert.match(meta.id._tag === "Some" ? meta.id.value : "", /^chatcmpl-mock-/)
      assert.strictEqual(meta.modelId._tag === "Some" ? meta.modelId.value : "", "GPT 5.4 mini")
      assert.match(meta.metadata.nexos?.requestId ?? "", /^req_mock_/)

      yield* LanguageModel.generateText({ prompt: "Again" }).pipe(
        NexosLanguageModel.withConfigOverride({ temperature: 0.7, max_completion_tokens: 100 })
      )
      const bodies = yield* chatBodies
      assert.deepStrictEqual(bodies.map((b) => [b.model, b.temperature, b.max_completion_tokens]), [
        ["GPT 5.4 mini", 0.2, undefined],
        ["GPT 5.4 mini", 0.7, 100]
      ])
      assert.deepStrictEqual(bodies[0].messages, [{ role: "user", content: "Say hello" }])
      assert.strictEqual(bodies[0].tools, undefined)
      assert.strictEqual(bodies[0].tool_choice, undefined)
    }).pipe(Effect.provide(on())))

  it.scopedLive("generateText with a toolkit: the call, its result by the handler, and the next turn via Chat", () =>
    Effect.gen(function*() {
      const chat = yield* Chat.empty
      const first = yield* chat.generateText({ prompt: "Weather in Vilnius?", toolkit: tools })
      assert.strictEqual(first.finishReason, "tool-calls")
      assert.deepStrictEqual(first.toolCalls.map((c) => [c.id, c.name, c.params]), [
        ["call_1", "get_weather", { city: "Vilnius" }]
      ])
      assert.deepStrictEqual(first.toolResults.map((r) => [r.id, r.result]), [
        ["call_1", { city: "Vilnius", celsius: 21 }]
      ])
      const second = yield* chat.generateText({ prompt: [], toolkit: tools })
      assert.strictEqual(second.text, "The tools returned: {\"city\":\"Vilnius\",\"celsius\":21}.")
      const bodies = yield* chatBodies
      assert.deepStrictEqual(bodies[0].tools, [{
        type: "function",
        function: {
          name: "get_weather",
          description: "The current weather in a city",
          parameters: {
            type: "object",
            required: ["city"],
            properties: { city: { type: "string" } },
            additionalProperties: false
          }
        }
      }])
      assert.strictEqual(bodies[0].tool_choice, "auto")
      assert.deepStrictEqual(bodies[1].messages.map((m) => m.role), ["user", "assistant", "tool"])
      const assistant = bodies[1].messages[1]
      assert.deepStrictEqual(assistant.role === "assistant" ? assistant.tool_calls : undefined, [
        { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Vilnius\"}" } }
      ])
      assert.deepStrictEqual(toolMessages(bodies[1]), [
        { id: "call_1", content: "{\"city\":\"Vilnius\",\"celsius\":21}" }
      ])
    }).pipe(Effect.provide(on({
      script: [Reply.toolCalls([{ id: "call_1", name: "get_weather", arguments: { city: "Vilnius" } }])]
    }))))

  it.scopedLive("streamText: text bracketed by start and end, then finish with usage", () =>
    Effect.gen(function*() {
      const parts = Chunk.toReadonlyArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Hi there" })))
      const types = parts.map((p) => p.type)
      assert.strictEqual(types[0], "response-metadata")
      assert.strictEqual(types[1], "text-start")
      assert.strictEqual(types[types.length - 2], "text-end")
      assert.strictEqual(types[types.length - 1], "finish")
      assert.isTrue(types.slice(2, -2).every((t) => t === "text-delta"))
      assert.isAbove(types.length, 6)
      const text = parts.flatMap((p) => p.type === "text-delta" ? [p.delta] : []).join("")
      assert.strictEqual(text, "Hello from the nexos mock gateway. You said: Hi there")
      const finish = parts[parts.length - 1]
      if (finish.type === "finish") {
        assert.strictEqual(finish.reason, "stop")
        assert.isAbove(finish.usage.totalTokens!, 0)
        assert.isAbove(finish.metadata.nexos!.credits!, 0)
      }
      const bodies = yield* chatBodies
      assert.isTrue(bodies[0].stream)
    }).pipe(Effect.provide(on())))

  it.scopedLive("streamText with reasoning, tool params deltas, the tool calls together, and their results", () =>
    Effect.gen(function*() {
      const parts = Chunk.toReadonlyArray(
        yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Weather?", toolkit: tools }))
      )
      const types = parts.map((p) => p.type).filter((t, i, all) => t !== all[i - 1])
      assert.deepStrictEqual(types, [
        "response-metadata",
        "reasoning-start",
        "reasoning-delta",
        "reasoning-end",
        "tool-params-start",
        "tool-params-delta",
        "tool-params-start",
        "tool-params-delta",
        "tool-params-end",
        "tool-call",
        "finish",
        "tool-result"
      ])
      const reasoning = parts.flatMap((p) => p.type === "reasoning-delta" ? [p.delta] : []).join("")
      assert.strictEqual(reasoning, "Checking the weather.")
      const params = parts.filter((p) => p.type === "tool-params-delta" && p.id === "c_a")
        .map((p) => p.type === "tool-params-delta" ? p.delta : "").join("")
      assert.strictEqual(params, "{\"city\":\"Vilnius\"}")
      assert.deepStrictEqual(
        parts.flatMap((p) => p.type === "tool-call" ? [[p.id, p.params]] : []),
        [["c_a", { city: "Vilnius" }], ["c_b", { city: "Riga" }]]
      )
      assert.deepStrictEqual(
        parts.flatMap((p) => p.type === "tool-result" ? [[p.id, p.result]] : []),
        [["c_a", { city: "Vilnius", celsius: 21 }], ["c_b", { city: "Riga", celsius: 21 }]]
      )
      const finish = parts.find((p) => p.type === "finish")
      assert.strictEqual(finish?.type === "finish" ? finish.reason : undefined, "tool-calls")
    }).pipe(Effect.provide(on({
      script: [Reply.completion({
        reasoning: "Checking the weather.",
        toolCalls: [
          { id: "c_a", name: "get_weather", arguments: { city: "Vilnius" } },
          { id: "c_b", name: "get_weather", arguments: { city: "Riga" } }
        ]
      })]
    }))))

  it.scopedLive("a refusal is an empty text part with the refusal in its metadata; a length finish maps to length", () =>
    Effect.gen(function*() {
      const refused = yield* LanguageModel.generateText({ prompt: "Something bad" })
      const refusal = refused.content.find((p) => p.type === "text")
      assert.strictEqual(refusal?.type === "text" ? refusal.text : undefined, "")
      assert.strictEqual(
        refusal?.type === "text" ? refusal.metadata.nexos?.refusal : undefined,
        "I can't help with that."
      )
      const streamed = Chunk.toReadonlyArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Again" })))
      const end = streamed.find((p) => p.type === "text-end")
      assert.strictEqual(end?.type === "text-end" ? end.metadata.nexos?.refusal : undefined, "I can't help with that.")
      const cut = yield* LanguageModel.generateText({ prompt: "Long story" }).pipe(
        NexosLanguageModel.withConfigOverride({ max_completion_tokens: 3 })
      )
      assert.strictEqual(cut.finishReason, "length")
      assert.strictEqual(cut.usage.outputTokens, 3)
    }).pipe(Effect.provide(on({
      script: [
        Reply.completion({ refusal: "I can't help with that." }),
        Reply.completion({ refusal: "I can't help with that." })
      ]
    }))))

  it.scopedLive("web_search citations become source parts, in generateText and streamText", () =>
    Effect.gen(function*() {
      const search = Toolkit.make(NexosTool.WebSearch({ search_context_size: "low" }))
      const response = yield* LanguageModel.generateText({ prompt: "nexos gateway", toolkit: search })
      const sources = response.content.flatMap((p) => p.type === "source" && p.sourceType === "url" ? [p] : [])
      assert.deepStrictEqual(sources.map((s) => s.title), ["Mock result 1", "Mock result 2"])
      assert.strictEqual(sources[0].url.toString(), "https://example.com/search/1?q=nexos%20gateway")
      assert.strictEqual(sources[0].metadata.nexos?.type, "url_citation")
      assert.isBelow(sources[0].metadata.nexos!.startIndex!, sources[0].metadata.nexos!.endIndex!)
      const streamed = Chunk.toReadonlyArray(
        yield* Stream.runCollect(LanguageModel.streamText({ prompt: "nexos gateway", toolkit: search }))
      ).flatMap((p) => p.type === "source" && p.sourceType === "url" ? [p.url.toString()] : [])
      assert.deepStrictEqual(streamed, sources.map((s) => s.url.toString()))
      const bodies = yield* chatBodies
      assert.deepStrictEqual(bodies[0].tools, [{ type: "web_search", web_search: { search_context_size: "low" } }])
    }).pipe(Effect.provide(on())))

  it.scopedLive("generateObject: strict json_schema for optional fields, the value decoded", () =>
    Effect.gen(function*() {
      const City = Schema.Struct({
        name: Schema.String,
        population: Schema.optional(Schema.Number),
        landmarks: Schema.Array(Schema.Struct({ name: Schema.String }))
      }).annotations({ identifier: "City" })
      const response = yield* LanguageModel.generateObject({ prompt: "Vilnius?", schema: City })
      assert.deepStrictEqual(response.value, { name: "mock", population: 0, landmarks: [{ name: "mock" }] })
      const bodies = yield* chatBodies
      const format = bodies[0].response_format
      assert.strictEqual(format?.type, "json_schema")
      if (format?.type === "json_schema") {
        assert.strictEqual(format.json_schema.name, "City")
        assert.strictEqual(format.json_schema.strict, true)
        assert.deepStrictEqual((format.json_schema.schema as { required: Array<string> }).required, [
          "name",
          "population",
          "landmarks"
        ])
      }
    }).pipe(Effect.provide(on())))

  it.scopedLive("generateObject: an absent optional comes back as null in strict mode and is dropped", () =>
    Effect.gen(function*() {
      const City = Schema.Struct({ name: Schema.String, population: Schema.optional(Schema.Number) })
      const response = yield* LanguageModel.generateObject({ prompt: "Vilnius?", schema: City, objectName: "city" })
      assert.deepStrictEqual(response.value, { name: "Vilnius" })
    }).pipe(Effect.provide(on({ script: [Reply.text("{\"name\":\"Vilnius\",\"population\":null}")] }))))

  it.scopedLive("generateObject: a record goes as a strict list of entries and comes back as a record", () =>
    Effect.gen(function*() {
      const Scores = Schema.Struct({ scores: Schema.Record({ key: Schema.String, value: Schema.Number }) })
      const response = yield* LanguageModel.generateObject({ prompt: "Scores?", schema: Scores, objectName: "scores" })
      assert.deepStrictEqual(response.value, { scores: { a: 1, b: 2 } })
      const bodies = yield* chatBodies
      const format = bodies[0].response_format
      assert.strictEqual(format?.type === "json_schema" ? format.json_schema.strict : undefined, true)
      assert.strictEqual(format?.type === "json_schema" ? format.json_schema.name : undefined, "scores")
    }).pipe(Effect.provide(on({
      script: [Reply.text("{\"scores\":[{\"key\":\"a\",\"value\":1},{\"key\":\"b\",\"value\":2}]}")]
    }))))

  it.scopedLive("generateObject: a schema strict mode cannot describe is sent non-strict", () =>
    Effect.gen(function*() {
      const Payload = Schema.Struct({ data: Schema.Unknown })
      const response = yield* LanguageModel.generateObject({ prompt: "Data?", schema: Payload, objectName: "payload" })
      assert.deepStrictEqual(response.value, { data: [1, "x"] })
      const bodies = yield* chatBodies
      const format = bodies[0].response_format
      assert.strictEqual(format?.type === "json_schema" ? format.json_schema.strict : undefined, false)
      assert.deepStrictEqual(format?.type === "json_schema" ? format.json_schema.schema : undefined, {
        type: "object",
        required: ["data"],
        properties: { data: { "$id": "/schemas/unknown", title: "unknown" } },
        additionalProperties: false
      })
    }).pipe(Effect.provide(on({ script: [Reply.text("{\"data\":[1,\"x\"]}")] }))))

  it.scopedLive("NexosErrors stay inspectable as the cause of the AiError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "Hi" }))
      assert.isTrue(AiError.isAiError(error))
      assert.strictEqual(error._tag, "UnknownError")
      const cause = (error as AiError.UnknownError).cause as { _tag: string; status: number }
      assert.strictEqual(cause._tag, "OutOfCredits")
      assert.strictEqual(cause.status, 402)

      const invalid = yield* Effect.flip(
        LanguageModel.generateText({ prompt: "Hi" }).pipe(NexosLanguageModel.withConfigOverride({ temperature: 5 }))
      )
      assert.strictEqual(invalid._tag, "MalformedInput")
      const invalidCause = (invalid as AiError.MalformedInput).cause as { _tag: string; message: string }
      assert.strictEqual(invalidCause._tag, "InvalidRequest")
      assert.include(invalidCause.message, "temperature")
      assert.strictEqual((yield* chatBodies).length, 1)
    }).pipe(Effect.provide(on({
      script: [Reply.error(402, { message: "Not enough credits", code: "insufficient_credits" })]
    }))))

  it.scopedLive("model(name) is an AiModel providing the LanguageModel", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({ prompt: "Hello" }).pipe(
        Effect.provide(NexosLanguageModel.model("Claude 4.5", { temperature: 0 }))
      )
      assert.include(response.text, "You said: Hello")
      const bodies = yield* chatBodies
      assert.strictEqual(bodies[0].model, "Claude 4.5")
      assert.strictEqual(bodies[0].temperature, 0)
    }).pipe(Effect.provide(clientOnMock())))
})
