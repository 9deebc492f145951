/**
 * Function calling, the whole round trip: declare a tool whose JSON Schema is derived from an Effect `Schema`, let
 * the model call it (streamed: each complete call arrives as one `ToolCall` event with its raw `arguments` and the
 * `parsed` JSON), validate the arguments with the same Schema, run a local function, send the results back (the
 * assistant message with `tool_calls`, then one `tool` message per call with its `tool_call_id`, built by
 * `ChatCompletionRequest.assistant` and `ChatCompletionRequest.toolResult`) and print the model's final answer.
 *
 * Run alone: `node examples/dist/tool-calls.js`
 */
import { type ChatEvent, ChatStream, NexosClient } from "@nexos-effect/client"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Chunk, Console, Effect, JSONSchema, Schema, Stream } from "effect"
import * as Backend from "./backend.js"

const WeatherArgs = Schema.Struct({
  city: Schema.String.annotations({ description: "The city name, e.g. Vilnius" }),
  unit: Schema.Literal("celsius", "fahrenheit")
})

// The local function the model may call.
const getWeather = ({ city, unit }: typeof WeatherArgs.Type) => ({
  city,
  temperature: unit === "celsius" ? 21 : 70,
  unit,
  conditions: "sunny"
})

const tools: ReadonlyArray<ChatCompletionRequest.Tool> = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "The current weather in a city",
    parameters: { ...JSONSchema.make(WeatherArgs) }
  }
}]

// Arguments that do not fit the schema become an error message for the model instead of a failure.
const execute = (call: ChatEvent.ToolCall) =>
  Effect.flatMap(call.parsed, Schema.decodeUnknown(WeatherArgs)).pipe(
    Effect.map(getWeather),
    Effect.catchAll((error) => Effect.succeed({ error: error.message })),
    Effect.map((result) => ChatCompletionRequest.toolResult(call, result))
  )

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient
  const messages: Array<ChatCompletionRequest.Message> = [ChatCompletionRequest.user("What's the weather in Vilnius?")]

  // tool_choice "required": this turn must call a tool (the next one, back on "auto", answers in text).
  const calls = yield* nexos.chat.completions.stream({ model: Backend.model, messages, tools, tool_choice: "required" })
    .pipe(
      ChatStream.toolCalls,
      Stream.runCollect,
      Effect.map(Chunk.toReadonlyArray)
    )
  for (const call of calls) yield* Console.log(`model calls ${call.name}(${call.arguments}) [${call.id}]`)

  const results = yield* Effect.forEach(calls, execute)
  for (const result of results) yield* Console.log(`tool result for ${result.tool_call_id}: ${result.content}`)
  messages.push(ChatCompletionRequest.assistant({ tool_calls: calls }), ...results)

  const final = yield* nexos.chat.completions.create({ model: Backend.model, messages, tools })
  const answer = ChatCompletion.text(final)
  yield* Console.log(`answer: ${answer}`)
  return { calls: calls.map((c) => ({ name: c.name, arguments: c.arguments })), results, answer }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
