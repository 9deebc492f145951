/**
 * Batch processing as a stream: `Batch.run` turns a `Stream` of keyed requests into a `Stream` of `Batch.Result`s,
 * exactly one per input key, with failures as data (the typed `NexosError`) and keys never sent reported as
 * `NotDone`. Concurrency is bounded where items enter (no semaphore in front of a fan-out), the pace follows requests
 * and tokens per minute and slows down for everyone when the gateway answers 429 or reports an exhausted
 * `x-ratelimit-*` budget. A `Batch.Store` in the context records each finished key as it finishes, so running the same
 * batch again skips what is done. Progress is data (`Batch.Progress` in a `SubscriptionRef`) rendered by
 * `Batch.progressBar`.
 *
 * @since 0.1.0
 */
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Engine from "./internal/batchEngine.js"
import type * as NexosClient from "./NexosClient.js"
import type * as NexosError from "./NexosError.js"
import type * as ResponseMeta from "./ResponseMeta.js"
import type * as RetryPolicy from "./RetryPolicy.js"

/**
 * What a batch item asks for: a chat completion or embeddings.
 *
 * @since 0.1.0
 * @category models
 */
export type Request = ChatCompletionRequest.ChatCompletionRequest | Embeddings.EmbeddingsRequest

/**
 * The response type of a request type: `ChatCompletion` for chat requests, `EmbeddingsResponse` for embeddings.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseOf<R> = R extends Embeddings.EmbeddingsRequest ? Embeddings.EmbeddingsResponse
  : ChatCompletion.ChatCompletion

/**
 * One input of a batch: a unique `key`, the request, and optional per-request overrides (merged over the batch's
 * `requestOptions`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Item<R extends Request = ChatCompletionRequest.ChatCompletionRequest> {
  readonly key: string
  readonly request: R
  readonly options?: NexosClient.RequestOptions | undefined
}

/**
 * The request was answered: the response and its `ResponseMeta` (also attached to `value`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Succeeded<A> {
  readonly _tag: "Succeeded"
  readonly value: A
  readonly meta: ResponseMeta.ResponseMeta | undefined
}

/**
 * The request failed for good (not retryable, or out of retries): the typed error as data.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failed {
  readonly _tag: "Failed"
  readonly error: NexosError.NexosError
}

/**
 * The key was not finished: the batch was stopped before or while it ran (`interrupted`; an in-flight request is
 * cancelled) or the budget was spent before it started (`budget`). Nothing is recorded: a resumed run does it.
 *
 * @since 0.1.0
 * @category models
 */
export interface NotDone {
  readonly _tag: "NotDone"
  readonly reason: "interrupted" | "budget"
}

/**
 * The `Batch.Store` already had this key finished (an earlier run): no request was made.
 *
 * @since 0.1.0
 * @category models
 */
export interface Skipped {
  readonly _tag: "Skipped"
  readonly recorded: Recorded
}

/**
 * What happened to one key.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome<A> = Succeeded<A> | Failed | NotDone | Skipped

/**
 * The result for one input key. `index` is the item's position in the input; `attempts` counts the HTTP requests
 * made for it (0 when none was); `startedAt` / `finishedAt` are epoch milliseconds of the first attempt and of the
 * outcome (absent when no request was made).
 *
 * @since 0.1.0
 * @category models
 */
export interface Result<A = ChatCompletion.ChatCompletion> {
  readonly key: string
  readonly index: number
  readonly outcome: Outcome<A>
  readonly attempts: number
  readonly startedAt?: number | undefined
  readonly finishedAt?: number | undefined
}

/**
 * What a store knows about a finished key.
 *
 * @since 0.1.0
 * @category store
 */
export interface Recorded {
  readonly key: string
  readonly status: "succeeded" | "failed"
  /** For failures: whether the error was retryable (`retryFailed` runs those keys again). */
  readonly retryable: boolean
  /** For failures: the `NexosError` tag. */
  readonly error?: string | undefined
}

/**
 * A store failed (the file could not be read or written, the database is down). It fails the batch: results that
 * cannot be recorded would be made again on resume.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Schema.TaggedError<StoreError>()("BatchStoreError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/**
 * The input had the same key twice (with `duplicates: "fail"`, the default). `index` is the second occurrence.
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicateKey extends Schema.TaggedError<DuplicateKey>()("BatchDuplicateKey", {
  key: Schema.String,
  index: Schema.Number
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `Duplicate batch key ${JSON.stringify(this.key)} (item ${this.index}): every key must be unique; ` +
      `pass duplicates: "skip" to drop repeats`
  }
}

/**
 * The errors that stop a batch (per-key failures never do: they are `Failed` results).
 *
 * @since 0.1.0
 * @category errors
 */
export type BatchError = StoreError | DuplicateKey

/**
 * Where finished keys are recorded as they finish, so a batch run again skips them. `lookup` is called chunk-wise as
 * items enter (keys absent from the map were never finished); `record` is called with `Succeeded` and `Failed`
 * results (never `NotDone` or `Skipped`) and must have made them durable when it succeeds. Implementations: the JSONL
 * file (`layerStoreJsonl`), memory (`layerStoreMemory`), PostgreSQL in `@nexos-effect/cluster`.
 *
 * @since 0.1.0
 * @category store
 */
export interface StoreService {
  readonly lookup: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, Recorded>, StoreError>
  readonly record: (results: ReadonlyArray<Result<unknown>>) => Effect.Effect<void, StoreError>
}

/**
 * The store service. `Batch.run` uses it when it is in the context.
 *
 * @since 0.1.0
 * @category store
 */
export class Store extends Context.Tag("@nexos-effect/client/Batch/Store")<Store, StoreService>() {}

/**
 * What a store records for a result (`undefined` for `NotDone` and `Skipped`).
 *
 * @since 0.1.0
 * @category store
 */
export const toRecorded = (result: Result<unknown>): Recorded | undefined => Engine.toRecorded(result)

/**
 * An in-memory store (a `Map` of key to `Recorded`), for tests and short-lived programs.
 *
 * @since 0.1.0
 * @category store
 */
export const makeStoreMemory: Effect.Effect<StoreService & { readonly recorded: ReadonlyMap<string, Recorded> }> =
  Effect.sync(() => {
    const recorded = new Map<string, Recorded>()
    return {
      recorded,
      lookup: (keys) =>
        Effect.sync(() => {
          const out = new Map<string, Recorded>()
          for (const key of keys) {
            const found = recorded.get(key)
            if (found !== undefined) out.set(key, found)
          }
          return out
        }),
      record: (results) =>
        Effect.sync(() => {
          for (const result of results) {
            const entry = toRecorded(result)
            if (entry !== undefined) recorded.set(entry.key, entry)
          }
        })
    }
  })

/**
 * The in-memory store as a Layer.
 *
 * @since 0.1.0
 * @category store
 */
export const layerStoreMemory: Layer.Layer<Store> = Layer.effect(Store, makeStoreMemory)

/**
 * Progress of a running batch, as data. `done` counts keys with a final outcome (succeeded, failed or skipped),
 * `failed` those that failed; `notDone` those reported as not done. `total` is known when given as an option or once
 * the input has ended. `rate` is finished requests per second over the recent past; `eta` the time left at that
 * rate. `finished` turns true once, when the batch ends (whatever the reason).
 *
 * @since 0.1.0
 * @category progress
 */
export interface Progress {
  readonly total: number | undefined
  readonly done: number
  readonly succeeded: number
  readonly failed: number
  readonly skipped: number
  readonly notDone: number
  readonly inFlight: number
  readonly retried: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly credits: number
  readonly rate: number
  readonly eta: Duration.Duration | undefined
  readonly elapsed: Duration.Duration
  readonly finished: boolean
}

/**
 * Progress before anything happened.
 *
 * @since 0.1.0
 * @category progress
 */
export const emptyProgress: Progress = {
  total: undefined,
  done: 0,
  succeeded: 0,
  failed: 0,
  skipped: 0,
  notDone: 0,
  inFlight: 0,
  retried: 0,
  promptTokens: 0,
  completionTokens: 0,
  credits: 0,
  rate: 0,
  eta: undefined,
  elapsed: Duration.zero,
  finished: false
}

/**
 * A fresh progress reference to pass as `progress` to `run` (and to `progressBar`).
 *
 * @since 0.1.0
 * @category progress
 */
export const makeProgress: Effect.Effect<SubscriptionRef.SubscriptionRef<Progress>> = SubscriptionRef.make(
  emptyProgress
)

/**
 * Options of `Batch.run`.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Requests in flight at most (default 16). */
  readonly concurrency?: number | undefined
  /** Results in input order (default false: as they finish). */
  readonly ordered?: boolean | undefined
  /** With `ordered`: how far past the oldest unfinished item new items may start (default 8 x concurrency). */
  readonly orderWindow?: number | undefined
  /** A key seen twice fails the batch with `DuplicateKey` (`"fail"`, default) or the repeat is dropped (`"skip"`). */
  readonly duplicates?: "fail" | "skip" | undefined
  /** Retries of retryable failures, per key. Default: 5 retries, backoff 0.5 s doubling to 8 s; a 429 waits for
   * everyone (its `Retry-After` when given). */
  readonly retry?: RetryPolicy.Settings | undefined
  /** Overrides for every request (timeout, headers, ...). The client's own retries are turned off: the batch
   * retries. */
  readonly requestOptions?: NexosClient.RequestOptions | undefined
  /** Requests and tokens allowed per `window` (default one minute). Tokens are estimated before sending
   * (`estimateTokens`) and corrected by the usage that comes back. */
  readonly rateLimit?: {
    readonly requestsPerMinute?: number | undefined
    readonly tokensPerMinute?: number | undefined
    readonly window?: Duration.DurationInput | undefined
  } | undefined
  /** Halve the requests in flight on a 429 and grow back by one per success (default true). */
  readonly adaptive?: boolean | undefined
  /** Stop starting new requests once this many credits or tokens (prompt + completion) are spent; keys not started
   * are reported `NotDone("budget")`. In-flight requests finish, so the total can go past the budget by them. */
  readonly budget?: { readonly credits?: number | undefined; readonly tokens?: number | undefined } | undefined
  /** With a store: run again keys recorded as failed with a retryable error (default false: skipped). */
  readonly retryFailed?: boolean | undefined
  /** Receives the progress (at most every `progressInterval`, and once more when the batch ends). */
  readonly progress?: SubscriptionRef.SubscriptionRef<Progress> | undefined
  /** Default 100 ms; 0 publishes every change. */
  readonly progressInterval?: Duration.DurationInput | undefined
  /** The number of items, when known up front (for the progress `total` and `eta`). */
  readonly total?: number | undefined
  /** When this effect completes, the batch stops: in-flight requests are cancelled and every key not finished,
   * including the rest of the input, is reported `NotDone("interrupted")`; then the stream ends. */
  readonly stopWhen?: Effect.Effect<unknown> | undefined
}

/**
 * Runs a batch: one `Result` per input item, in finishing order (or input order with `ordered`). Per-key failures are
 * `Failed` results, never stream failures; the stream fails only on a duplicate key, a store failure, or an input
 * failure. With a `Store` in the context, finished keys are recorded as they finish (before they are emitted) and
 * keys already recorded are emitted as `Skipped` without a request.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <R extends Request = ChatCompletionRequest.ChatCompletionRequest, E = never, Req = never>(
  items: Stream.Stream<Item<R>, E, Req>,
  options: Options = {}
): Stream.Stream<Result<ResponseOf<R>>, E | BatchError, Req | NexosClient.NexosClient> =>
  Stream.unwrap(
    Effect.map(Effect.serviceOption(Store), (store) =>
      Engine.run(Engine.entries(items), options, {
        store,
        duplicate: (key, index) => new DuplicateKey({ key, index })
      }))
  ) as Stream.Stream<
    Result<ResponseOf<R>>,
    E | BatchError,
    Req | NexosClient.NexosClient
  >

/**
 * A rough token count of a request, used for `tokensPerMinute` before the usage is known: about 4 characters per
 * token of every text in it, 4 per message, plus its completion limit (`max_completion_tokens` / `max_tokens`).
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateTokens = (request: Request): number => Engine.estimateTokens(request)

/**
 * Milliseconds from the first attempt to the outcome, when a request was made.
 *
 * @since 0.1.0
 * @category utils
 */
export const durationMs = (result: Result<unknown>): number | undefined =>
  result.startedAt === undefined || result.finishedAt === undefined ? undefined : result.finishedAt - result.startedAt
