/**
 * The tour (`pnpm demo`): every example in order, one header per section, against one backend Layer: the embedded
 * `MockGateway` started in-process (no network, no key), or the real nexos.ai gateway when `NEXOS_API_KEY` is set,
 * in which case the fault-injection parts that need the mock are skipped (each says so). Any failure fails the tour,
 * and `NodeRuntime.runMain` turns that into a non-zero exit code.
 *
 * Run: `pnpm demo` (or `node examples/dist/tour.js` after `pnpm build`)
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Duration, Effect } from "effect"
import * as Backend from "./backend.js"
import * as BatchFile from "./batch-file.js"
import * as Batch from "./batch.js"
import * as Citations from "./citations.js"
import * as Completion from "./completion.js"
import * as Conversation from "./conversation.js"
import * as DependencyInjection from "./dependency-injection.js"
import * as EffectAi from "./effect-ai.js"
import * as ErrorHandling from "./error-handling.js"
import * as Streaming from "./streaming.js"
import * as StructuredOutput from "./structured-output.js"
import * as TikaOcr from "./tika-ocr.js"
import * as ToolCalls from "./tool-calls.js"
import * as ToolLoop from "./tool-loop.js"
import * as UsageAndCost from "./usage-and-cost.js"

const sections: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, Backend.Services>]> = [
  ["1. completion: a plain answer and its ResponseMeta", Completion.program],
  ["2. streaming: ChatEvents as they arrive", Streaming.program],
  ["3. tool calls: the model calls a local function", ToolCalls.program],
  ["4. citations: web_search and url_citation annotations", Citations.program],
  ["5. usage and cost: tokens and nexos credits", UsageAndCost.program],
  ["6. dependency injection: one program, two Layers", DependencyInjection.program],
  ["7. error handling: typed errors, faults and retries", ErrorHandling.program],
  ["8. batch: 20 keyed prompts with Batch.run, 4 at a time, failures as data", Batch.program],
  ["9. batch file: a JSONL file of prompts with a progress bar, then resumed", BatchFile.program],
  ["10. tika_ocr: upload a document and ask about it", TikaOcr.program],
  ["11. conversation: turns built in a pipe, a picture, the answer sent back", Conversation.program],
  ["12. structured output: a typed value from an Effect Schema", StructuredOutput.program],
  ["13. tool loop: @effect/ai tools run by ToolLoop until the model answers", ToolLoop.program],
  ["14. @effect/ai: nexos as a LanguageModel (generateText, Chat, streamText, generateObject)", EffectAi.program]
]

export const tour = Effect.gen(function*() {
  const live = yield* Backend.isLive
  yield* Console.log(
    live
      ? `nexos-effect tour against the real gateway (model ${Backend.model}); mock-only parts are skipped`
      : "nexos-effect tour against the embedded mock gateway (set NEXOS_API_KEY for the real one)"
  )
  const [elapsed] = yield* Effect.timed(
    Effect.forEach(sections, ([title, program]) => Effect.zipRight(Console.log(`\n=== ${title} ===`), program), {
      discard: true
    })
  )
  yield* Console.log(`\ntour finished: ${sections.length} sections in ${Math.round(Duration.toMillis(elapsed))} ms`)
})

if (Backend.isMain(import.meta.url)) tour.pipe(Effect.provide(Backend.layer), NodeRuntime.runMain)
