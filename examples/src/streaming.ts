/**
 * Streaming: `chat.completions.stream` is a `Stream` of domain events (`ChatEvent`), so a consumer matches on their
 * tags instead of poking at raw chunks. Here the reasoning and the answer are written inline as they arrive, and the
 * finish reason at the end; the run also folds the events into a small summary (the value this program returns).
 * `ChatStream.text` / `ChatStream.reasoning` are the one-line views when only the text matters.
 *
 * Run alone: `node examples/dist/streaming.js`
 */
import { type ChatEvent, NexosClient } from "@nexos-effect/client"
import { Console, Effect, Match, Ref, Stream } from "effect"
import * as Backend from "./backend.js"

const write = (text: string) => Effect.sync(() => void process.stdout.write(text))

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient
  // A label is written whenever the stream switches between reasoning and answer text.
  const section = yield* Ref.make("")
  const enter = (next: string) =>
    Effect.flatMap(
      Ref.getAndSet(section, next),
      (previous) => previous === next ? Effect.void : write(`${previous === "" ? "" : "\n"}${next}: `)
    )
  const print = Match.type<ChatEvent.ChatEvent>().pipe(
    Match.tag("Metadata", (e) => Console.log(`[stream ${e.id} from ${e.model}]`)),
    Match.tag("ReasoningDelta", (e) => Effect.zipRight(enter("reasoning"), write(e.delta))),
    Match.tag("TextDelta", (e) => Effect.zipRight(enter("answer"), write(e.delta))),
    Match.tag(
      "Finish",
      (e) => Effect.zipRight(write("\n"), Console.log(`[finish: ${e.reason} (wire: ${e.rawReason})]`))
    ),
    Match.orElse(() => Effect.void)
  )

  return yield* nexos.chat.completions.stream({
    model: Backend.model,
    reasoning_effort: "low",
    messages: [{ role: "user", content: "Explain in two sentences why streaming answers feel faster." }]
  }).pipe(
    Stream.tap(print),
    Stream.runFold({ text: "", reasoning: "", finish: "", events: 0 }, (acc, e) => ({
      text: e._tag === "TextDelta" ? acc.text + e.delta : acc.text,
      reasoning: e._tag === "ReasoningDelta" ? acc.reasoning + e.delta : acc.reasoning,
      finish: e._tag === "Finish" ? e.reason : acc.finish,
      events: acc.events + 1
    }))
  )
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
