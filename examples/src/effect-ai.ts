/**
 * nexos as an `@effect/ai` provider: the program asks for `LanguageModel` only, and `NexosLanguageModel.layer`
 * provides it on top of `NexosClient` (swap it for another provider's layer and nothing else changes).
 * `generateText` with a `Toolkit` runs the tool calls with their handlers, `Chat` keeps the conversation,
 * `streamText` gives the response parts as they come (text bracketed by start and end, then the finish with the
 * usage and the nexos credits in its metadata) and `generateObject` returns a value of an Effect Schema. The
 * gateway's own tools (`NexosTool.WebSearch`, ...) join the toolkit and bring `source` parts.
 *
 * Run alone: `node examples/dist/effect-ai.js`
 */
import * as Chat from "@effect/ai/Chat"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { NexosLanguageModel, NexosTool } from "@nexos-effect/ai"
import { Chunk, Console, Effect, Layer, Schema, Stream } from "effect"
import * as Backend from "./backend.js"

const GetWeather = Tool.make("get_weather", {
  description: "The current weather in a city",
  parameters: { city: Schema.String.annotations({ description: "The city name, e.g. Vilnius" }) },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number, conditions: Schema.String })
})

const tools = Toolkit.make(GetWeather)
const ToolsLive = tools.toLayer({
  get_weather: ({ city }) => Effect.succeed({ city, celsius: 21, conditions: "sunny" })
})

const City = Schema.Struct({
  name: Schema.String,
  country: Schema.String,
  population: Schema.optional(Schema.Number)
}).annotations({ identifier: "City" })

export const program = Effect.gen(function*() {
  // 1. generateText with a toolkit: the model calls get_weather, the handler answers; Chat keeps the history, so
  // the next turn sends the call and its result back and the model answers from them.
  const chat = yield* Chat.empty
  const first = yield* chat.generateText({ prompt: "What's the weather in Vilnius?", toolkit: tools })
  for (const call of first.toolCalls) yield* Console.log(`tool call: ${call.name}(${JSON.stringify(call.params)})`)
  for (const result of first.toolResults) yield* Console.log(`tool result: ${JSON.stringify(result.result)}`)
  const second = yield* chat.generateText({ prompt: [], toolkit: tools })
  yield* Console.log(`answer: ${second.text}`)

  // 2. streamText: parts as they come; the finish part carries the usage and, in its metadata, the nexos credits.
  let streamed = ""
  let credits: number | undefined
  const parts = yield* LanguageModel.streamText({ prompt: "Say hello in five words" }).pipe(
    Stream.tap((part) =>
      Effect.sync(() => {
        if (part.type === "text-delta") streamed += part.delta
        if (part.type === "finish") credits = part.metadata.nexos?.credits
      })
    ),
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray)
  )
  const kinds = [...new Set(parts.map((p) => p.type))]
  yield* Console.log(`streamed: ${streamed}`)
  yield* Console.log(`part types: ${kinds.join(", ")}; credits: ${credits}`)

  // 3. generateObject: a typed value (sent as a strict json_schema; absent optionals come back absent).
  const city = yield* LanguageModel.generateObject({ prompt: "Describe Vilnius", schema: City })
  yield* Console.log(`object: ${JSON.stringify(city.value)}`)

  // 4. The gateway's web_search tool: the answer's citations are `source` parts.
  const searched = yield* LanguageModel.generateText({
    prompt: "What does the nexos.ai gateway do?",
    toolkit: Toolkit.make(NexosTool.WebSearch({ search_context_size: "low" }))
  })
  const sources = searched.content.flatMap((p) => p.type === "source" && p.sourceType === "url" ? [p.url.href] : [])
  yield* Console.log(`sources: ${sources.join(", ")}`)

  return {
    toolCalls: first.toolCalls.map((c) => ({ name: c.name, params: c.params })),
    toolResults: first.toolResults.map((r) => r.result),
    answer: second.text,
    streamed,
    kinds,
    credits,
    city: city.value,
    sources
  }
}).pipe(
  Effect.provide(Layer.merge(NexosLanguageModel.layer({ model: Backend.model, config: { temperature: 0 } }), ToolsLive))
)

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
