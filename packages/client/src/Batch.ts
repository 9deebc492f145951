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
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Batches from "@nexos-effect/schema/Batches"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as BatchEmbed from "./internal/batchEmbed.js"
import * as Engine from "./internal/batchEngine.js"
import * as BatchFile from "./internal/batchFile.js"
import * as BatchProgress from "./internal/batchProgress.js"
import * as Remote from "./internal/batchRemote.js"
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
 * `runFile` could not read its input file.
 *
 * @since 0.1.0
 * @category errors
 */
export class InputError extends Schema.TaggedError<InputError>()("BatchInputError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

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
 * Options of the JSONL store.
 *
 * @since 0.1.0
 * @category store
 */
export interface JsonlStoreOptions {
  /** `fsync` after each group of lines (default false). Each line is written before its result is emitted, so a
   * crash of the process loses only the lines in flight; `sync` also covers a crash of the machine. */
  readonly sync?: boolean | undefined
}

/**
 * The JSONL results file as a store: one line per finished key in the OpenAI batch output format (see
 * `toOutputLine`), appended as keys finish. Opening it indexes the keys already in the file (the last line of a key
 * wins) and drops a torn last line left by a crash. Needs a `FileSystem` (e.g. `NodeFileSystem.layer`).
 *
 * @since 0.1.0
 * @category store
 */
export const makeStoreJsonl = (
  path: string,
  options: JsonlStoreOptions = {}
): Effect.Effect<StoreService, StoreError, FileSystem.FileSystem | Scope.Scope> =>
  BatchFile.makeStore(path, options, (message, cause) => new StoreError({ message, cause }))

/**
 * The JSONL results file as a Layer (the file is closed with the layer).
 *
 * @since 0.1.0
 * @category store
 */
export const layerStoreJsonl = (
  path: string,
  options?: JsonlStoreOptions
): Layer.Layer<Store, StoreError, FileSystem.FileSystem> => Layer.scoped(Store, makeStoreJsonl(path, options))

/**
 * A result as one line of the OpenAI batch output format: `{ id, custom_id, response: { status_code, request_id,
 * body }, error }`. HTTP failures keep their status and error body in `response`; failures without a response (a
 * connection error, a timeout, a request rejected before sending) have `response: null` and `error: { code, message }`
 * with the `NexosError` tag as code. A `nexos` object adds the attempts, timing, and for failures the error tag and
 * whether it was retryable. `undefined` for `NotDone` and `Skipped` results (nothing to record).
 *
 * @since 0.1.0
 * @category files
 */
export const toOutputLine = (result: Result<unknown>): string | undefined => BatchFile.outputLine(result)

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
 * One input of `embed`: a unique key and the text (or token array) to embed.
 *
 * @since 0.1.0
 * @category embeddings
 */
export interface EmbeddingInput {
  readonly key: string
  readonly input: string | ReadonlyArray<number>
}

/**
 * The embedding of one input (from the response of the request that carried it).
 *
 * @since 0.1.0
 * @category embeddings
 */
export interface Embedded {
  readonly embedding: ReadonlyArray<number> | string
  readonly model: string
}

/**
 * Options of `embed`: the request fields, how inputs are grouped into requests, and those of `run` (which apply to
 * the requests: concurrency, retries, pacing, budget, progress counts requests).
 *
 * @since 0.1.0
 * @category embeddings
 */
export interface EmbedOptions extends Omit<Options, "duplicates"> {
  readonly model: string
  readonly dimensions?: number | undefined
  readonly encodingFormat?: "float" | "base64" | undefined
  /** Inputs per request at most (default 100). */
  readonly batchSize?: number | undefined
  /** Estimated tokens per request at most (`estimateTokens`; default: no limit). An input alone over it is sent
   * alone. */
  readonly maxTokensPerRequest?: number | undefined
  /** A key seen twice fails with `DuplicateKey` (`"fail"`, default) or the repeat is dropped (`"skip"`). */
  readonly duplicates?: "fail" | "skip" | undefined
}

/**
 * Embeds many inputs: they are grouped into requests of `batchSize` inputs (and at most `maxTokensPerRequest`
 * estimated tokens), the requests run as a batch (`run`'s concurrency, retries, pacing and budget apply to them), and
 * each response is split back into one `Result` per input, with its key and input position (`index`), matched by the
 * embeddings' `index` field. A failed request fails only its own inputs. With a `Store`, inputs already recorded are
 * `Skipped` and each finished input is recorded. With `ordered`, results of sent inputs come in input order; progress
 * counts requests.
 *
 * @since 0.1.0
 * @category embeddings
 */
export const embed = <E = never, R = never>(
  inputs: Stream.Stream<EmbeddingInput, E, R>,
  options: EmbedOptions
): Stream.Stream<Result<Embedded>, E | BatchError, R | NexosClient.NexosClient> =>
  Stream.unwrap(
    Effect.map(Effect.serviceOption(Store), (store) =>
      BatchEmbed.embed(inputs, options, {
        store,
        duplicate: (key, index) => new DuplicateKey({ key, index })
      }))
  )

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

/**
 * Where `progressBar` writes: `process.stderr` by default (when there is one).
 *
 * @since 0.1.0
 * @category progress
 */
export interface ProgressOutput {
  readonly write: (text: string) => void
  /** Redraw one line in place (`\r`); otherwise one plain line per `interval`. */
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
}

/**
 * Options of `progressBar`.
 *
 * @since 0.1.0
 * @category progress
 */
export interface ProgressBarOptions {
  readonly output?: ProgressOutput | undefined
  /** Default 100 ms on a TTY, 10 s for plain lines. */
  readonly interval?: Duration.DurationInput | undefined
  /** Printed before the bar, e.g. the file name. */
  readonly label?: string | undefined
}

/**
 * One line describing the progress, `width` characters at most: a bar and percentage when the total is known, the
 * counts, tokens and credits, the rate and the time left (or the time taken once finished).
 *
 * @since 0.1.0
 * @category progress
 */
export const renderProgress = (progress: Progress, width = 100): string => BatchProgress.render(progress, width)

const defaultOutput = (): ProgressOutput => {
  const stderr = (globalThis as {
    process?: { stderr?: { write: (text: string) => unknown; isTTY?: boolean; columns?: number } }
  }).process?.stderr
  if (stderr === undefined) return { write: (text) => console.error(text.replace(/\n$/, "")), isTTY: false }
  return { write: (text) => void stderr.write(text), isTTY: stderr.isTTY === true, columns: stderr.columns }
}

/**
 * Renders a batch's progress until the batch ends: redrawn in place on a TTY, as plain periodic lines otherwise, and
 * a last line as soon as it is finished. Fork it next to the batch: `Effect.fork(Batch.progressBar(progress))`.
 *
 * @since 0.1.0
 * @category progress
 */
export const progressBar = (
  progress: SubscriptionRef.SubscriptionRef<Progress>,
  options: ProgressBarOptions = {}
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const output = options.output ?? defaultOutput()
    const tty = output.isTTY === true
    const interval = Duration.decode(options.interval ?? (tty ? "100 millis" : "10 seconds"))
    const label = options.label === undefined ? "" : `${options.label} `
    const width = Math.max(40, (output.columns ?? 100) - 1) - label.length
    const draw = (p: Progress) =>
      Effect.sync(() => {
        const line = label + renderProgress(p, width)
        output.write(tty ? `\r${line}\x1b[K${p.finished ? "\n" : ""}` : `${line}\n`)
      })
    const finished = Stream.runDrain(Stream.takeUntil(progress.changes, (p) => p.finished))
    const loop: Effect.Effect<void> = Effect.flatMap(SubscriptionRef.get(progress), (p) =>
      p.finished
        ? draw(p)
        : draw(p).pipe(Effect.zipRight(Effect.raceFirst(Effect.sleep(interval), finished)), Effect.zipRight(loop)))
    return loop
  })

/**
 * Options of `runFile`: those of `run` (the total comes from the input file), the JSONL store's, and the progress
 * bar (default on; `false` turns it off).
 *
 * @since 0.1.0
 * @category files
 */
export interface FileOptions extends Omit<Options, "total">, JsonlStoreOptions {
  readonly progressBar?: boolean | ProgressBarOptions | undefined
}

/**
 * What `runFile` did. Keys counted in `skipped` were already in the output file; `notDone` keys were not started or
 * were cancelled (stopped, budget spent) and will run on the next call.
 *
 * @since 0.1.0
 * @category files
 */
export interface FileSummary {
  readonly total: number
  readonly succeeded: number
  readonly failed: number
  readonly skipped: number
  readonly notDone: number
}

/**
 * One line of an input JSONL file: a keyed request, or (`rejected`) the `InvalidRequest` that names why the line
 * does not fit (its key is `line-<n>` when the line has none).
 *
 * @since 0.1.0
 * @category files
 */
export type InputLine =
  | { readonly key: string; readonly index: number; readonly request: Request; readonly rejected?: undefined }
  | {
    readonly key: string
    readonly index: number
    readonly request?: undefined
    readonly rejected: NexosError.InvalidRequest
  }

/**
 * The lines of an input JSONL file in the format `runFile` reads, as a lazy stream (blank lines skipped), for
 * programs that run the batch elsewhere (on a cluster, through the Batch API) with the same input format.
 *
 * @since 0.1.0
 * @category files
 */
export const readInput = (input: string): Stream.Stream<InputLine, InputError, FileSystem.FileSystem> =>
  Stream.unwrap(Effect.map(FileSystem.FileSystem, (fs) =>
    BatchFile.inputEntries(fs, input).pipe(
      Stream.map((entry): InputLine =>
        entry.rejected !== undefined
          ? { key: entry.key, index: entry.index, rejected: entry.rejected as NexosError.InvalidRequest }
          : { key: entry.key, index: entry.index, request: entry.request! }
      ),
      Stream.mapError((cause) =>
        new InputError({
          message: `Cannot read the input file ${input}: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
      )
    )))

/**
 * Runs a JSONL file of requests and writes the results as JSONL, resumably. Input lines are
 * `{ "custom_id" | "key", "body" | "request", "url"?, "method"? }` (the OpenAI batch input format as it is, chat
 * completions and embeddings); blank lines are ignored. The output is the OpenAI batch output format (see
 * `toOutputLine`), and it is the store: run again, keys already in it are skipped. A malformed input line becomes an
 * error line (`InvalidRequest`, naming its line number) and does not stop the others. Interrupting the effect
 * (Ctrl-C under `NodeRuntime.runMain`) stops the batch gracefully: in-flight requests are cancelled, every finished
 * line is in the file, and the rest runs next time. Needs a `FileSystem` and the `NexosClient`.
 *
 * @since 0.1.0
 * @category files
 */
export const runFile = (
  input: string,
  output: string,
  options: FileOptions = {}
): Effect.Effect<FileSummary, BatchError | InputError, NexosClient.NexosClient | FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const inputError = (cause: unknown) =>
      new InputError({
        message: `Cannot read the input file ${input}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
    const total = yield* BatchFile.lines(fs.stream(input)).pipe(
      Stream.runFold(0, (n, line) => line.text.trim() === "" ? n : n + 1),
      Effect.mapError(inputError)
    )
    const store = yield* makeStoreJsonl(output, options)
    const progress = options.progress ?? (yield* makeProgress)
    const stop = yield* Deferred.make<void>()
    const stopWhen = options.stopWhen === undefined
      ? Deferred.await(stop)
      : Effect.raceFirst(Deferred.await(stop), Effect.asVoid(options.stopWhen))
    const results = Engine.run(
      Stream.mapError(BatchFile.inputEntries(fs, input), inputError),
      { ...options, total, progress, stopWhen },
      { store: Option.some(store), duplicate: (key, index) => new DuplicateKey({ key, index }) }
    ) as Stream.Stream<Result<unknown>, BatchError | InputError, NexosClient.NexosClient>
    const counting = Stream.runFold(
      results,
      { total, succeeded: 0, failed: 0, skipped: 0, notDone: 0 },
      (summary, result): FileSummary => {
        switch (result.outcome._tag) {
          case "Succeeded":
            return { ...summary, succeeded: summary.succeeded + 1 }
          case "Failed":
            return { ...summary, failed: summary.failed + 1 }
          case "Skipped":
            return { ...summary, skipped: summary.skipped + 1 }
          case "NotDone":
            return { ...summary, notDone: summary.notDone + 1 }
        }
      }
    )
    const fiber = yield* Effect.forkScoped(counting)
    const bar = options.progressBar === false
      ? undefined
      : yield* Effect.forkScoped(
        progressBar(progress, {
          label: input,
          ...(typeof options.progressBar === "object" ? options.progressBar : {})
        })
      )
    const awaitBar = bar === undefined ? Effect.void : Effect.asVoid(Fiber.await(bar))
    const summary = yield* Fiber.join(fiber).pipe(
      Effect.onInterrupt(() =>
        Deferred.succeed(stop, undefined).pipe(Effect.zipRight(Fiber.await(fiber)), Effect.zipRight(awaitBar))
      )
    )
    yield* awaitBar
    return summary
  }))

/**
 * Options of `Batch.runRemote`.
 *
 * @since 0.1.0
 * @category options
 */
export interface RemoteOptions {
  /** Re-attach to this batch (from `onCreated` of an earlier run) instead of uploading and creating a new one. The
   * same items must be given: they name the keys and their positions. */
  readonly batchId?: string | undefined
  /** Called once the batch is created: keep its id to re-attach after a crash or an interruption. */
  readonly onCreated?: ((batch: Batches.Batch) => Effect.Effect<void>) | undefined
  /** When to look at the batch again, fed the batch as last seen (default every 5 s). When the schedule ends
   * before the batch does, every key not finished is reported `NotDone("interrupted")` and the batch keeps running
   * (re-attach with `batchId`). */
  readonly poll?: Schedule.Schedule<unknown, Batches.Batch> | undefined
  /** Metadata of the batch (at most 16 pairs). */
  readonly metadata?: Readonly<Record<string, string>> | undefined
  /** The name of the uploaded input file (default `batch-input.jsonl`). */
  readonly filename?: string | undefined
  /** A key seen twice fails the run with `DuplicateKey` (`"fail"`, default) or the repeat is dropped (`"skip"`). */
  readonly duplicates?: "fail" | "skip" | undefined
  /** With a store: run again keys recorded as failed with a retryable error (default false: skipped). */
  readonly retryFailed?: boolean | undefined
  /** Overrides for the calls to the files and batches endpoints; `extraBody` is merged into every request body. */
  readonly requestOptions?: NexosClient.RequestOptions | undefined
  /** Receives the progress: as the batch is polled (from its request counts) and as results are read. */
  readonly progress?: SubscriptionRef.SubscriptionRef<Progress> | undefined
  /** The number of items, when known up front. */
  readonly total?: number | undefined
  /** Cancel the batch on the gateway when the run is interrupted while it waits (default false: the batch keeps
   * running and can be re-attached). */
  readonly cancelOnInterrupt?: boolean | undefined
}

/**
 * The same results as `run`, through the gateway's Batch API: the items become a JSONL input file (the key as
 * `custom_id`) uploaded as the input is read, the batch is created, polled with `poll` until it ends (progress as
 * `run` reports it), and its output and error files are read back into one `Result` per key, matched by
 * `custom_id`. Requests that fail validation are `Failed` without being uploaded; a key in neither file (the batch
 * expired, was cancelled or failed) is `NotDone("interrupted")`, never dropped. Resumable: with `batchId` it
 * re-attaches to a running or finished batch instead of creating a second one. With a `Store` in the context,
 * finished keys are recorded and recorded keys are `Skipped`, as with `run`. The input is read once; a failed
 * upload fails the run before any batch exists (run it again).
 *
 * @since 0.1.0
 * @category running
 */
export const runRemote = <R extends Request = ChatCompletionRequest.ChatCompletionRequest, E = never, Req = never>(
  items: Stream.Stream<Item<R>, E, Req>,
  options: RemoteOptions = {}
): Stream.Stream<
  Result<ResponseOf<R>>,
  E | BatchError | NexosError.NexosError,
  Req | NexosClient.NexosClient
> =>
  Stream.unwrap(
    Effect.map(Effect.serviceOption(Store), (store) =>
      Remote.runRemote(Engine.entries(items), options, {
        store,
        duplicate: (key, index) => new DuplicateKey({ key, index })
      }))
  ) as Stream.Stream<Result<ResponseOf<R>>, E | BatchError | NexosError.NexosError, Req | NexosClient.NexosClient>
