/**
 * A plain (non-streaming) chat completion: ask one question, print the answer, then the response metadata the
 * client keeps on every result (`ResponseMeta`: HTTP status, `x-request-id`, the `x-nexos-*` headers). Quote the
 * request id when you report a problem to nexos.ai.
 *
 * Run alone: `node examples/dist/completion.js`
 */
import { NexosClient, ResponseMeta } from "@nexos-effect/client"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import { Console, Effect, Option } from "effect"
import * as Backend from "./backend.js"

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient
  const completion = yield* nexos.chat.completions.create({
    model: Backend.model,
    messages: [
      { role: "system", content: "Answer in one short sentence." },
      { role: "user", content: "What is the nexos.ai gateway?" }
    ]
  })
  const answer = ChatCompletion.text(completion)
  yield* Console.log(`answer: ${answer}`)
  yield* Console.log(`finish reason: ${completion.choices[0]?.finish_reason ?? "(none)"}, model: ${completion.model}`)

  // The metadata rides on the result without changing its shape: read it with ResponseMeta.get.
  const meta = ResponseMeta.get(completion)
  if (Option.isSome(meta)) {
    const { cache, completionTimeMs, nexosModelId, requestId, status } = meta.value
    yield* Console.log(`HTTP ${status}, request id: ${requestId ?? "(none)"}`)
    yield* Console.log(
      `nexos model id: ${nexosModelId ?? "-"}, completion time: ${completionTimeMs ?? "-"} ms, cache: ${cache ?? "-"}`
    )
  }
  return { answer, requestId: Option.getOrUndefined(meta)?.requestId }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
