/**
 * A small batch with `Batch.run`: 20 keyed prompts as a `Stream`, at most 4 requests in flight, results in input
 * order (`ordered`). Each key gets exactly one `Batch.Result`: a failure is a `Failed` outcome carrying the typed
 * `NexosError`, never a failed stream. Two items fail on purpose: one is rejected by the client (`temperature: 3`),
 * one gets an injected 503 from the mock gateway (the real gateway ignores that header), retried once by the batch,
 * then reported with its 2 attempts.
 *
 * Run alone: `node examples/dist/batch.js`
 */
import { Batch } from "@nexos-effect/client"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import { Fault } from "@nexos-effect/testing"
import { Chunk, Console, Duration, Effect, Either, Stream } from "effect"
import * as Backend from "./backend.js"

const prompts = Array.from({ length: 20 }, (_, i) => `Give me one fun fact about the number ${i + 1}.`)

const items = Stream.fromIterable(prompts).pipe(
  Stream.zipWithIndex,
  Stream.map(([prompt, index]): Batch.Item => ({
    key: `fact-${index + 1}`,
    request: {
      model: Backend.model,
      messages: [{ role: "user", content: prompt }],
      ...(index === 6 ? { temperature: 3 } : {})
    },
    ...(index === 12 ? { options: { headers: Fault.header(Fault.status(503)) } } : {})
  }))
)

export const program = Effect.gen(function*() {
  const [elapsed, batch] = yield* Batch.run(items, {
    concurrency: 4,
    ordered: true,
    retry: { maxRetries: 1, initialDelay: "50 millis" }
  }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.timed)

  for (const result of batch) {
    const outcome = result.outcome
    yield* outcome._tag === "Succeeded"
      ? Console.log(`${result.key} ${ChatCompletion.text(outcome.value).slice(0, 100)}`)
      : outcome._tag === "Failed"
      ? Console.log(
        `${result.key} FAILED after ${result.attempts} attempt(s) ${outcome.error._tag}: ${outcome.error.message}`
      )
      : Console.log(`${result.key} ${outcome._tag}`)
  }
  const results = batch.map((r) =>
    r.outcome._tag === "Succeeded"
      ? Either.right(ChatCompletion.text(r.outcome.value))
      : Either.left(r.outcome._tag === "Failed" ? r.outcome.error : r.outcome)
  )
  const failed = batch.flatMap((r) =>
    r.outcome._tag === "Failed" ? [{ index: r.index, tag: r.outcome.error._tag }] : []
  )
  const ms = Math.round(Duration.toMillis(elapsed))
  yield* Console.log(
    `${results.length - failed.length}/${results.length} succeeded, ${failed.length} failed, in ${ms} ms`
  )
  return { results, failed, batch }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
