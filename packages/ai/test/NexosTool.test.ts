import type * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, describe, it } from "@effect/vitest"
import * as NexosLanguageModel from "@nexos-effect/ai/NexosLanguageModel"
import * as NexosTool from "@nexos-effect/ai/NexosTool"
import * as ToolLoop from "@nexos-effect/ai/ToolLoop"
import { Effect, Layer, Schema } from "effect"
import { ask, chatBodies, clientOnMock } from "./support.js"

const GetWeather = Tool.make("get_weather", { parameters: { city: Schema.String }, success: Schema.String })
const on = Layer.provideMerge(NexosLanguageModel.layer({ model: "GPT 5.4 mini" }), clientOnMock())

describe("NexosTool", () => {
  it.scopedLive("the nexos tools' request JSON, exactly as the API expects", () =>
    Effect.gen(function*() {
      const kit = Toolkit.make(
        NexosTool.WebSearch({
          search_context_size: "high",
          user_location: { type: "approximate", city: "Vilnius", country: "LT" },
          mcp: { type: "query", options: { tool: "bing_search", query: "EUR PLN", geo_location: "Lithuania" } }
        }),
        NexosTool.Rag({ collection_uuid: "5f0c7e1a-coll", query: "refund policy", threshold: 0.4, top_n: 3 }),
        NexosTool.TikaOcr({ file_id: "storage-abc" }),
        GetWeather
      )
      yield* LanguageModel.generateText({ prompt: "All tools", toolkit: kit, disableToolCallResolution: true }).pipe(
        Effect.provide(kit.toLayer({ get_weather: ({ city }) => Effect.succeed(city) }))
      )
      const plain = Toolkit.make(NexosTool.WebSearch({}))
      yield* LanguageModel.generateText({ prompt: "Plain", toolkit: plain })
      const bodies = yield* chatBodies
      assert.deepStrictEqual(bodies[0].tools?.slice(0, 3), [
        {
          type: "web_search",
          web_search: {
            search_context_size: "high",
            user_location: { type: "approximate", city: "Vilnius", country: "LT" },
            mcp: { type: "query", options: { tool: "bing_search", query: "EUR PLN", geo_location: "Lithuania" } }
          }
        },
        {
          type: "rag",
          rag: { mcp: { collection_uuid: "5f0c7e1a-coll", query: "refund policy", threshold: 0.4, top_n: 3 } }
        },
        { type: "tika_ocr", tika_ocr: { file_id: "storage-abc" } }
      ])
      assert.strictEqual(bodies[0].tools?.[3]?.type, "function")
      assert.deepStrictEqual(bodies[1].tools, [{ type: "web_search" }])
    }).pipe(Effect.provide(on)))

  it.scopedLive("ToolLoop sends them the same way, after the request's own tools", () =>
    Effect.gen(function*() {
      const kit = Toolkit.make(NexosTool.TikaOcr({ file_id: "storage-abc" }), GetWeather)
      const handlers = kit.toLayer({ get_weather: ({ city }) => Effect.succeed(city) })
      const result = yield* ToolLoop.run(ask("Read it", { tools: [{ type: "web_search" }], tool_choice: "none" }), {
        toolkit: kit
      }).pipe(Effect.provide(handlers))
      assert.strictEqual(result.stopReason, "answered")
      const bodies = yield* chatBodies
      assert.deepStrictEqual(bodies[0].tools?.map((t) => t.type), ["web_search", "tika_ocr", "function"])
      assert.deepStrictEqual(bodies[0].tools?.[1], { type: "tika_ocr", tika_ocr: { file_id: "storage-abc" } })

      const bad = Toolkit.make(NexosTool.TikaOcr({ file_id: "" }))
      const error = yield* Effect.flip(
        ToolLoop.run(ask("Read it"), { toolkit: bad }).pipe(Effect.provide(bad.toLayer({})))
      )
      assert.strictEqual(error._tag, "ToolLoopError")
      if (error._tag === "ToolLoopError") {
        assert.strictEqual(error.reason, "invalid-tool")
        assert.include(error.message, "tika_ocr.file_id: must not be empty")
      }
      assert.strictEqual((yield* chatBodies).length, 1)
    }).pipe(Effect.provide(on)))

  it("arguments are checked with the request schema's rules", () => {
    const wrongMcp = NexosTool.toRequestTool(
      NexosTool.WebSearch({ mcp: { type: "url", options: { tool: "google_search", url: "https://x" } as never } })
    )
    assert.instanceOf(wrongMcp, NexosTool.InvalidToolArgs)
    assert.include((wrongMcp as NexosTool.InvalidToolArgs).message, "web_search.mcp")
    assert.include((wrongMcp as NexosTool.InvalidToolArgs).message, "universal")
    const emptyCollection = NexosTool.toRequestTool(NexosTool.Rag({ collection_uuid: "" }))
    assert.instanceOf(emptyCollection, NexosTool.InvalidToolArgs)
    assert.deepStrictEqual((emptyCollection as NexosTool.InvalidToolArgs).issues, [
      { path: "rag.mcp.collection_uuid", message: "must not be empty" }
    ])
    const fractional = NexosTool.toRequestTool(NexosTool.Rag({ collection_uuid: "c", top_n: 2.5 }))
    assert.include((fractional as NexosTool.InvalidToolArgs).message, "rag.mcp.top_n: must be an integer")
    const emptyFile = NexosTool.toRequestTool(NexosTool.TikaOcr({ file_id: "" }))
    assert.deepStrictEqual((emptyFile as NexosTool.InvalidToolArgs).issues, [
      { path: "tika_ocr.file_id", message: "must not be empty" }
    ])
    assert.deepStrictEqual(NexosTool.toRequestTool(NexosTool.TikaOcr({ file_id: "f" })), {
      type: "tika_ocr",
      tika_ocr: { file_id: "f" }
    })
  })

  it.scopedLive("a bad nexos tool fails the call before anything is sent", () =>
    Effect.gen(function*() {
      const kit = Toolkit.make(NexosTool.Rag({ collection_uuid: "" }))
      const error = yield* Effect.flip(LanguageModel.generateText({ prompt: "x", toolkit: kit }))
      assert.strictEqual(error._tag, "MalformedInput")
      assert.instanceOf((error as AiError.MalformedInput).cause, NexosTool.InvalidToolArgs)
      assert.strictEqual((yield* chatBodies).length, 0)
    }).pipe(Effect.provide(on)))
})
