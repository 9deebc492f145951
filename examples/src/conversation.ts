/**
 * A conversation over several turns, built with the combinators of `ChatCompletionRequest` in a `pipe`: a system
 * prompt, a question with a picture (bytes become a `data:` URL with the media type read from them), the answer sent
 * back with `addResponse` (it keeps what the API accepts back and drops citations, reasoning and vendor fields), a
 * follow-up question, and bad combinations found by `validate` before anything is sent, each naming its field.
 *
 * Run alone: `node examples/dist/conversation.js`
 */
import { NexosClient } from "@nexos-effect/client"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Console, Effect, Either, pipe } from "effect"
import * as Backend from "./backend.js"

// A 1x1 PNG; any PNG, JPEG, GIF or WebP bytes work the same way (give `mediaType` for other kinds).
const picture = new Uint8Array(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    "base64"
  )
)

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient

  const first = pipe(
    ChatCompletionRequest.make(Backend.model),
    ChatCompletionRequest.addText("You describe pictures in one short sentence.", "system"),
    ChatCompletionRequest.addText("What is in this picture?"),
    ChatCompletionRequest.addImage(picture, { detail: "low" })
  )
  const answer = yield* nexos.chat.completions.create(first)
  yield* Console.log(`turn 1: ${ChatCompletion.text(answer)}`)

  const second = pipe(
    first,
    ChatCompletionRequest.addResponse(answer),
    ChatCompletionRequest.addText("Describe it again in three words.")
  )
  const followUp = yield* nexos.chat.completions.create(second)
  yield* Console.log(`turn 2: ${ChatCompletion.text(followUp)}`)

  const wrong = pipe(
    second,
    ChatCompletionRequest.setToolChoice({ function: "get_colour" }),
    ChatCompletionRequest.setParallelToolCalls(true)
  )
  const issues = Either.match(ChatCompletionRequest.validate(wrong), { onLeft: (found) => found, onRight: () => [] })
  for (const issue of issues) yield* Console.log(`not sent: ${issue.path}: ${issue.message}`)

  return {
    answers: [ChatCompletion.text(answer), ChatCompletion.text(followUp)],
    roles: second.messages.map((m) => m.role),
    issues: issues.map((i) => i.path)
  }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
