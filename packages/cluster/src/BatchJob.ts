/**
 * Keyed batches of chat completions run across several runner processes with `@effect/cluster` and
 * `@effect/workflow`, durable in PostgreSQL. A `BatchJob` is shared by clients and runners: the client splits the
 * keyed input into chunks and starts one workflow execution per chunk (its id derived from the batch id and the chunk
 * index, so a re-run re-attaches); a runner executes a chunk as one activity that runs `Batch.run` over it with the
 * PostgreSQL `BatchStore`, so each key's result is written as the key finishes and a chunk that replays after a
 * crash skips keys that already have one.
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Activity from "@effect/workflow/Activity"
import type * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import * as Batch from "@nexos-effect/client/Batch"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Chunk from "./internal/chunk.js"
import * as ResultCodec from "./internal/resultCodec.js"
import * as ResultsTable from "./internal/resultsTable.js"

/**
 * A batch job definition: its name (the workflow's name, unique per cluster), the chunk size and the results table.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchJob {
  readonly name: string
  readonly chunkSize: number
  readonly table: string
  /** The workflow that runs one chunk. */
  readonly workflow: Chunk.ChunkWorkflow
}

/**
 * One keyed chat request of a batch.
 *
 * @since 0.1.0
 * @category models
 */
export type Item = Chunk.Item

/**
 * Defines a job. `chunkSize` (default 50) keys share one workflow execution: a chunk costs one execution's overhead
 * (about 40 ms of CPU) instead of one per key. `table` (default `nexos_batch_results`) holds the per-key results.
 * Throws a `RangeError` for a chunk size that is not a positive integer or a table name that is not a plain
 * lower-case SQL name (a definition error, found when the program starts).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: { readonly name: string; readonly chunkSize?: number; readonly table?: string }
): BatchJob => {
  const chunkSize = options.chunkSize ?? 50
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`BatchJob.make: chunkSize must be a positive integer, got ${chunkSize}`)
  }
  const table = options.table ?? ResultsTable.defaultTable
  if (!ResultsTable.isValidName(table)) {
    throw new RangeError(`BatchJob.make: table must be a lower-case SQL name, got ${JSON.stringify(table)}`)
  }
  return { name: options.name, chunkSize, table, workflow: Chunk.workflow(options.name) }
}

/**
 * The sharding defaults of this package: a shard lock refreshed every 5 s and expiring after 15 s, and runners
 * polling for new chunks every second. A runner that dies hands its chunks to the others after at most the expiry
 * (about 15-20 s of failover); shorter refreshes let an overloaded runner lose its locks and shards move back and
 * forth, repeating requests.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultShardingConfig: Partial<ShardingConfig.ShardingConfig["Type"]> = {
  shardLockRefreshInterval: "5 seconds",
  shardLockExpiration: "15 seconds",
  entityMessagePollInterval: "1 second"
}

/**
 * Options of a runner.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunnerOptions {
  /** The address other runners and clients reach this runner on (default 127.0.0.1). */
  readonly host?: string | undefined
  readonly port: number
  /** Requests in flight on this runner, across all its chunks (default 32). */
  readonly concurrency?: number | undefined
  /** This runner's share of the batch's request rate (there is no rate limiter shared by runners: give each runner
   * the batch's limit divided by the number of runners). */
  readonly requestsPerMinute?: number | undefined
  /** `Batch.run` options for each chunk: retries, request options, adaptive 429 backoff. */
  readonly batch?: Pick<Batch.Options, "retry" | "requestOptions" | "adaptive"> | undefined
  /** A name for this runner in the results table (default `host:port`). */
  readonly runnerId?: string | undefined
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * A runner: registers the job's workflow on a cluster runner (`NodeClusterSocket` with SQL storage) that answers
 * chunks with the `NexosClient` it is given. Launch it with `Layer.launch`; `nexos-cluster-runner` is this Layer as a
 * program.
 *
 * @since 0.1.0
 * @category layers
 */
export const runnerLayer = (job: BatchJob, options: RunnerOptions) => {
  const host = options.host ?? "127.0.0.1"
  const engine = ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      storage: "sql",
      shardingConfig: {
        ...defaultShardingConfig,
        runnerAddress: Option.some(RunnerAddress.make(host, options.port)),
        ...options.shardingConfig
      }
    }))
  )
  return Layer.unwrapEffect(Effect.gen(function*() {
    const table = yield* ResultsTable.make(job.table)
    yield* table.ensure
    const runner = yield* Chunk.makeRunner(table, {
      runnerId: options.runnerId ?? `${host}:${options.port}`,
      concurrency: Math.max(1, options.concurrency ?? 32),
      requestsPerMinute: options.requestsPerMinute,
      batch: options.batch ?? {}
    })
    return job.workflow.toLayer((payload) =>
      Activity.make({ name: "run-chunk", success: Chunk.ChunkSummary, execute: runner.run(payload) })
    )
  })).pipe(Layer.provide(engine))
}

/**
 * What a client needs to submit chunks and read results: a client-only cluster member on SQL storage.
 *
 * @since 0.1.0
 * @category layers
 */
export const clientLayer = (options?: {
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}) =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      clientOnly: true,
      storage: "sql",
      shardingConfig: { ...defaultShardingConfig, ...options?.shardingConfig }
    }))
  )

/**
 * Options of `run`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /** Identifies the batch: the same id with the same input re-attaches to its chunks. */
  readonly batchId: string
  /** Chunks in flight at most (default 8). */
  readonly concurrency?: number | undefined
  /** Receives the same progress data as `Batch.run` (`inFlight` counts keys of chunks in flight). */
  readonly progress?: SubscriptionRef.SubscriptionRef<Batch.Progress> | undefined
  /** The number of items, when known up front (for the progress `total` and `eta`). */
  readonly total?: number | undefined
}

/**
 * Runs a keyed batch on the cluster and yields one `Batch.Result` per key (unordered, as chunks finish): the input is
 * split into chunks of `job.chunkSize` in input order (so chunk `i` of the same input always has the same id), at
 * most `concurrency` chunks are in flight, and each chunk's results are read from the results table when it ends.
 * Running the same input with the same `batchId` again re-attaches and sends nothing that finished (the results come
 * back from the table). A key repeated in the input fails the stream with `Batch.DuplicateKey`.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <E, R>(
  job: BatchJob,
  items: Stream.Stream<Item, E, R>,
  options: RunOptions
): Stream.Stream<
  Batch.Result<ChatCompletion.ChatCompletion>,
  E | Batch.DuplicateKey | SqlError.SqlError,
  R | WorkflowEngine.WorkflowEngine | SqlClient.SqlClient
> =>
  Stream.unwrap(Effect.gen(function*() {
    const table = yield* ResultsTable.make(job.table)
    yield* table.ensure
    const progress = yield* makeTally(options)
    return Chunk.chunked(items, job.chunkSize, (key, index) => new Batch.DuplicateKey({ key, index })).pipe(
      Stream.mapEffect((chunk) => {
        const keys = chunk.items.map((item) => item.key)
        return progress.started(keys.length).pipe(
          Effect.zipRight(job.workflow.execute({ batchId: options.batchId, index: chunk.index, items: chunk.items })),
          Effect.zipRight(table.read(options.batchId, keys)),
          Effect.map((rows) => {
            const byKey = new Map(rows.map((row) => [row.key, row]))
            return keys.map((key, position): Batch.Result<ChatCompletion.ChatCompletion> => {
              const index = chunk.index * job.chunkSize + position
              const row = byKey.get(key)
              return row === undefined
                ? { key, index, outcome: { _tag: "NotDone", reason: "interrupted" }, attempts: 0 }
                : ResultCodec.decode(key, index, row.status, row.result as ResultCodec.Stored) as Batch.Result<
                  ChatCompletion.ChatCompletion
                >
            })
          }),
          Effect.tap((results) => progress.finished(results))
        )
      }, { concurrency: Math.max(1, options.concurrency ?? 8), unordered: true }),
      Stream.flattenIterables,
      Stream.ensuring(progress.end)
    )
  }))

/**
 * Counts over a batch's keys in the results table: finished (`succeeded`, `failed`), still `inFlight` (sent by a
 * runner, no result yet), the keys sent to the gateway (`requests`, first sends and repeats; keys run with retries
 * count once) and `resent`: keys sent again because a runner died (or lost its shard) with them in flight. Each
 * resent key cost credits twice.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly succeeded: number
  readonly failed: number
  readonly inFlight: number
  readonly requests: number
  readonly resent: number
}

/**
 * Reads a batch's `Report` from the results table.
 *
 * @since 0.1.0
 * @category running
 */
export const report = (job: BatchJob, batchId: string): Effect.Effect<Report, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(ResultsTable.make(job.table), (table) => table.summary(batchId))

/**
 * Deletes a batch's results from the results table and returns how many keys it had. Nothing is deleted
 * automatically: purge a batch once its results are consumed. Its chunks stay completed in the cluster's storage, so
 * run a purged batch again under a new batch id.
 *
 * @since 0.1.0
 * @category running
 */
export const purge = (job: BatchJob, batchId: string): Effect.Effect<number, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(ResultsTable.make(job.table), (table) => table.purge(batchId))

const makeTally = (options: RunOptions) =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    let progress: Batch.Progress = { ...Batch.emptyProgress, total: options.total }
    const publish = (update: (now: number) => Partial<Batch.Progress>) =>
      options.progress === undefined ? Effect.void : Effect.flatMap(Clock.currentTimeMillis, (now) => {
        progress = { ...progress, ...update(now), elapsed: Duration.millis(now - startedAt) }
        return SubscriptionRef.set(options.progress!, progress)
      })
    return {
      started: (keys: number) => publish(() => ({ inFlight: progress.inFlight + keys })),
      finished: (results: ReadonlyArray<Batch.Result<ChatCompletion.ChatCompletion>>) =>
        publish((now) => {
          const next = { ...progress, inFlight: progress.inFlight - results.length }
          let { completionTokens, credits, done, failed, notDone, promptTokens, succeeded } = next
          for (const result of results) {
            const outcome = result.outcome
            if (outcome._tag === "Succeeded") {
              succeeded++
              done++
              promptTokens += outcome.value.usage?.prompt_tokens ?? 0
              completionTokens += outcome.value.usage?.completion_tokens ?? 0
              credits += outcome.value.usage?.nexos_credits_cost ?? 0
            } else if (outcome._tag === "Failed") {
              failed++
              done++
            } else {
              notDone++
            }
          }
          const seconds = (now - startedAt) / 1000
          const rate = seconds > 0 ? done / seconds : 0
          const left = next.total === undefined ? undefined : next.total - done - notDone
          return {
            inFlight: next.inFlight,
            done,
            succeeded,
            failed,
            notDone,
            promptTokens,
            completionTokens,
            credits,
            rate,
            eta: left === undefined || rate === 0 ? undefined : Duration.millis(Math.max(0, left / rate) * 1000)
          }
        }),
      end: publish(() => ({ finished: true }))
    }
  })
