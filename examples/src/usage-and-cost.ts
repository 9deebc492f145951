/**
 * Usage and cost: every answer reports its token usage, with details (cached prompt tokens, reasoning tokens) and
 * the gateway's own `nexos_credits_cost`. Non-streaming it is `completion.usage`; streamed, the client asks for it
 * (`stream_options.include_usage`) and `ChatStream.usage` runs the stream and returns it (an `Option`: a provider
 * may report none).
 *
 * Run alone: `node examples/dist/usage-and-cost.js`
 */
import { ChatStream, NexosClient } from "@nexos-effect/client"
import type * as Usage from "@nexos-effect/schema/Usage"
import { Console, Effect, Option } from "effect"
import * as Backend from "./backend.js"

const report = (label: string, usage: Usage.Usage) =>
  Console.log(
    [
      `${label}: ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion = ${usage.total_tokens} tokens`,
      `  cached prompt tokens: ${usage.prompt_tokens_details?.cached_tokens ?? "-"}, ` +
      `reasoning tokens: ${usage.completion_tokens_details?.reasoning_tokens ?? "-"}`,
      `  cost: ${usage.nexos_credits_cost ?? "-"} nexos credits`
    ].join("\n")
  )

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient
  const request = {
    model: Backend.model,
    messages: [{ role: "user" as const, content: "Name three prime numbers." }]
  }

  const completion = yield* nexos.chat.completions.create(request)
  if (completion.usage !== undefined) yield* report("create", completion.usage)

  const streamed = yield* ChatStream.usage(nexos.chat.completions.stream(request))
  yield* Option.match(streamed, {
    onNone: () => Console.log("stream: no usage reported"),
    onSome: (usage) => report("stream", usage)
  })

  return { create: completion.usage, stream: Option.getOrUndefined(streamed) }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
