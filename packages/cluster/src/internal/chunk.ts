import * as Workflow from "@effect/workflow/Workflow"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { fromTable } from "../BatchStore.js"
import type * as ResultsTable from "./resultsTable.js"

export const Item = Schema.Struct({ key: Schema.String, request: ChatCompletionRequest.ChatCompletionRequest })
export type Item = typeof Item.Type

/** A chunk of the input: its index (its position among the chunks, the part of its execution id) and its items. */
export interface InputChunk {
  readonly index: number
  readonly items: ReadonlyArray<Item>
}

/** Splits keyed items into chunks of `size` in input order, failing with `onDuplicate` on a key seen before. */
export const chunked = <E, R, E2>(
  items: Stream.Stream<Item, E, R>,
  size: number,
  onDuplicate: (key: string, index: number) => E2
): Stream.Stream<InputChunk, E | E2, R> =>
  Stream.suspend(() => {
    const seen = new Set<string>()
    let position = 0
    return items.pipe(
      Stream.mapChunksEffect((chunk) => {
        for (const item of chunk) {
          if (seen.has(item.key)) return Effect.fail(onDuplicate(item.key, position))
          seen.add(item.key)
          position++
        }
        return Effect.succeed(chunk)
      }),
      Stream.grouped(size),
      Stream.zipWithIndex,
      Stream.map(([group, index]) => ({ index, items: Array.from(group) }))
    )
  })

export const ChunkPayload = Schema.Struct({
  batchId: Schema.String,
  index: Schema.Number,
  items: Schema.Array(Item)
})

export const ChunkSummary = Schema.Struct({
  /** Keys sent to the gateway by this execution. */
  sent: Schema.Number,
  succeeded: Schema.Number,
  failed: Schema.Number,
  /** Keys that already had a result when the chunk (re)started. */
  skipped: Schema.Number,
  /** Keys not finished (the chunk was stopped). */
  notDone: Schema.Number,
  /** Keys sent again because an earlier execution of the chunk had sent them and died before saving the result. */
  repeated: Schema.Number
})
export type ChunkSummary = typeof ChunkSummary.Type

export const workflow = (name: string) =>
  Workflow.make({
    name: `nexos-batch/${name}`,
    payload: ChunkPayload,
    success: ChunkSummary,
    idempotencyKey: (payload) => `${payload.batchId}/${payload.index}`
  })

export type ChunkWorkflow = ReturnType<typeof workflow>

export interface RunnerSettings {
  readonly runnerId: string
  readonly concurrency: number
  readonly requestsPerMinute: number | undefined
  readonly batch: Batch.Options
}

/** What every chunk on a runner shares: the permits that bound its requests in flight and its request pacing. */
export interface Runner {
  readonly run: (payload: typeof ChunkPayload.Type) => Effect.Effect<ChunkSummary, never, NexosClient.NexosClient>
}

const retrySql = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.retry(
    self,
    Schedule.exponential("100 millis").pipe(Schedule.either(Schedule.spaced("2 seconds")), Schedule.upTo("2 minutes"))
  )

export const makeRunner = (table: ResultsTable.ResultsTable, settings: RunnerSettings): Effect.Effect<Runner> =>
  Effect.gen(function*() {
    const permits = yield* Queue.bounded<void>(settings.concurrency)
    yield* Queue.offerAll(permits, Array.from({ length: settings.concurrency }, () => undefined))
    const spacing = settings.requestsPerMinute === undefined ? 0 : 60_000 / settings.requestsPerMinute
    let nextStart = 0
    const pace = spacing === 0 ? Effect.void : Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const at = Math.max(now, nextStart)
      nextStart = at + spacing
      return at > now ? Effect.sleep(at - now) : Effect.void
    })
    const gate = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Queue.take(permits),
        () => Effect.zipRight(pace, self),
        () => Queue.offer(permits, undefined)
      )

    return {
      run: (payload) =>
        Effect.gen(function*() {
          const base = yield* NexosClient.NexosClient
          const keyOf = new Map<unknown, string>(payload.items.map((item) => [item.request, item.key]))
          const marked = new Set<string>()
          let repeated = 0
          const mark = (request: unknown) =>
            Effect.suspend(() => {
              const key = keyOf.get(request)
              if (key === undefined || marked.has(key)) return Effect.void
              marked.add(key)
              return table.markSent(payload.batchId, key, settings.runnerId).pipe(
                retrySql,
                Effect.orDie,
                Effect.map((again) => {
                  if (again) repeated++
                })
              )
            })
          const client: NexosClient.Service = {
            ...base,
            chat: {
              ...base.chat,
              completions: {
                ...base.chat.completions,
                create: (request, options) =>
                  gate(Effect.zipRight(mark(request), base.chat.completions.create(request, options)))
              }
            }
          }
          const results = yield* Batch.run(Stream.fromIterable(payload.items), {
            ...settings.batch,
            concurrency: Math.max(1, payload.items.length)
          }).pipe(
            Stream.runCollect,
            Effect.provideService(NexosClient.NexosClient, client),
            Effect.provideService(Batch.Store, fromTable(table, payload.batchId)),
            Effect.orDie
          )
          const summary = { sent: 0, succeeded: 0, failed: 0, skipped: 0, notDone: 0, repeated }
          for (const result of results) {
            if (result.attempts > 0) summary.sent++
            switch (result.outcome._tag) {
              case "Succeeded":
                summary.succeeded++
                break
              case "Failed":
                summary.failed++
                break
              case "Skipped":
                summary.skipped++
                break
              case "NotDone":
                summary.notDone++
                break
            }
          }
          return summary
        })
    }
  })
