/**
 * A small batch: 20 prompts processed as a `Stream` with at most 4 requests in flight (`Stream.mapEffect` with
 * `concurrency` keeps the input order). Each item runs under `Effect.either`, so one failure is reported next to its
 * prompt instead of failing the batch: every result is kept. Two items fail on purpose: one is rejected by the
 * client (`temperature: 3`), one gets an injected 503 from the mock gateway (the real gateway ignores that header).
 * `Effect.forEach(prompts, f, { concurrency: 4 })` is the same without streams.
 *
 * Run alone: `node examples/dist/batch.js`
 */
import { NexosClient, RetryPolicy } from "@nexos-effect/client"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import { Fault } from "@nexos-effect/testing"
import { Chunk, Console, Duration, Effect, Either, Stream } from "effect"
import * as Backend from "./backend.js"

const prompts = Array.from({ length: 20 }, (_, i) => `Give me one fun fact about the number ${i + 1}.`)

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient

  const answer = (prompt: string, index: number) =>
    nexos.chat.completions.create(
      {
        model: Backend.model,
        messages: [{ role: "user", content: prompt }],
        ...(index === 6 ? { temperature: 3 } : {})
      },
      index === 12 ? { headers: Fault.header(Fault.status(503)), retry: RetryPolicy.none } : {}
    ).pipe(Effect.map((completion) => ChatCompletion.text(completion)))

  const [elapsed, results] = yield* Stream.fromIterable(prompts).pipe(
    Stream.zipWithIndex,
    Stream.mapEffect(([prompt, index]) => Effect.either(answer(prompt, index)), { concurrency: 4 }),
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray),
    Effect.timed
  )

  for (const [index, result] of results.entries()) {
    yield* Either.match(result, {
      onLeft: (error) => Console.log(`#${index + 1} FAILED ${error._tag}: ${error.message}`),
      onRight: (text) => Console.log(`#${index + 1} ${text.slice(0, 100)}${text.length > 100 ? "..." : ""}`)
    })
  }
  const failed = results.flatMap((r, index) => Either.isLeft(r) ? [{ index, tag: r.left._tag }] : [])
  const ms = Math.round(Duration.toMillis(elapsed))
  yield* Console.log(
    `${results.length - failed.length}/${results.length} succeeded, ${failed.length} failed, in ${ms} ms`
  )
  return { results, failed }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
