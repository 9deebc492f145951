/**
 * The tool loop: tools defined with `@effect/ai` (`Tool.make`, `Toolkit.make`), their handlers provided as a Layer
 * (`toolkit.toLayer`) that itself needs a service of the program (`Rates`), and `ToolLoop.run` doing the rounds:
 * send the request with the tools, run the calls the model makes (in parallel, results in call order), send the
 * results back, until the model answers. The result has every step and the usage summed over them, nexos credits
 * included. `ToolLoop.stream` is the same loop as events, each with its step.
 *
 * Run alone: `node examples/dist/tool-loop.js`
 */
import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { ToolLoop } from "@nexos-effect/ai"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Console, Context, Effect, Layer, Schema, Stream } from "effect"
import * as Backend from "./backend.js"

// A service of the program that the handlers use (a database, an HTTP API, ... here a fixed table).
class Rates extends Context.Tag("examples/Rates")<Rates, {
  readonly rate: (from: string, to: string) => Effect.Effect<number>
}>() {}

const RatesLive = Layer.succeed(Rates, {
  rate: (from, to) => Effect.succeed(from === to ? 1 : from.length === 3 && to.length === 3 ? 4.27 : 1.1)
})

const GetRate = Tool.make("get_rate", {
  description: "The exchange rate between two currencies (ISO codes)",
  parameters: { from: Schema.String, to: Schema.String },
  success: Schema.Struct({ from: Schema.String, to: Schema.String, rate: Schema.Number })
})

const GetDate = Tool.make("get_date", {
  description: "Today's date",
  success: Schema.String
})

const tools = Toolkit.make(GetRate, GetDate)

const ToolsLive = tools.toLayer(Effect.gen(function*() {
  const rates = yield* Rates
  return {
    get_rate: ({ from, to }) => Effect.map(rates.rate(from, to), (rate) => ({ from, to, rate })),
    get_date: () => Effect.succeed("2026-01-01")
  }
})).pipe(Layer.provide(RatesLive))

const request = ChatCompletionRequest.make(Backend.model, {
  messages: [ChatCompletionRequest.user("What is the EUR to PLN rate today, and what is today's date?")]
})

export const program = Effect.gen(function*() {
  // 1. The whole loop as one Effect.
  const result = yield* ToolLoop.run(request, { toolkit: tools, maxSteps: 5 })
  for (const step of result.steps) {
    const calls = step.toolResults.map((r) => `${r.name}(${r.arguments}) -> ${r.status}: ${r.content}`)
    yield* Console.log(`step ${step.step}: ${calls.length === 0 ? "answer" : calls.join(" | ")}`)
  }
  const answer = ChatCompletion.text(result.completion)
  yield* Console.log(`answer (${result.stopReason}): ${answer}`)
  yield* Console.log(
    `usage over ${result.steps.length} steps: ${result.usage.total_tokens} tokens, ` +
      `${result.usage.nexos_credits_cost ?? 0} credits`
  )

  // 2. The same loop as a stream of events, each with its step.
  const tags: Array<string> = []
  yield* ToolLoop.stream(request, { toolkit: tools, maxSteps: 5 }).pipe(
    Stream.runForEach((event) =>
      event._tag === "Chat"
        ? Effect.void
        : Effect.sync(() =>
          void tags.push(
            `${event.step}:${event._tag === "ToolResult" ? `ToolResult(${event.result.name})` : event._tag}`
          )
        )
    )
  )
  yield* Console.log(`stream events: ${tags.join(" ")}`)
  return { steps: result.steps, answer, usage: result.usage, stopReason: result.stopReason, tags }
}).pipe(Effect.provide(ToolsLive))

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
