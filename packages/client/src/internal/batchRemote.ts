import * as Batches from "@nexos-effect/schema/Batches"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as Batch from "../Batch.js"
import * as NexosClient from "../NexosClient.js"
import * as NexosError from "../NexosError.js"
import * as ResponseMeta from "../ResponseMeta.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as Upload from "../Upload.js"
import type { Entry, Hooks } from "./batchEngine.js"
import * as Engine from "./batchEngine.js"
import { decodeCompletion } from "./completionDecoder.js"
import * as Transport from "./transport.js"
import { DecodeFailure } from "./wireDecode.js"

type AnyResult = Batch.Result<unknown>
type Endpoint = "/v1/chat/completions" | "/v1/embeddings"

const encoder = new TextEncoder()
const validateEmbeddings = Schema.validateEither(Embeddings.EmbeddingsRequest, { errors: "all" })
const decodeEmbeddings = Transport.schemaDecoder(Embeddings.EmbeddingsResponse)
const decodeLine = Schema.decodeUnknownEither(Batches.OutputLine)

const invalid = (issues: ReadonlyArray<ChatCompletionRequest.Issue>, what: string) =>
  new NexosError.InvalidRequest({ message: `Invalid ${what}: ${ChatCompletionRequest.formatIssues(issues)}`, issues })

/** What a key became in the uploaded file. */
interface Key {
  readonly index: number
  /** 1-based line of the input file; 0 when the key was not uploaded (failed or skipped locally). */
  readonly line: number
  emitted: boolean
}

class RemoteState {
  readonly keys = new Map<string, Key>()
  readonly lineKeys: Array<string> = [""]
  readonly local: Array<AnyResult> = []
  endpoint: Endpoint | undefined
  entered = 0
  succeeded = 0
  failed = 0
  skipped = 0
  notDone = 0
  inFlight = 0
  promptTokens = 0
  completionTokens = 0
  credits = 0
  total: number | undefined
  startedAt = 0

  constructor(total: number | undefined) {
    this.total = total
  }

  count(result: AnyResult): void {
    switch (result.outcome._tag) {
      case "Succeeded": {
        this.succeeded++
        const usage = (result.outcome.value as { usage?: Record<string, number | undefined> } | null)?.usage
        if (usage !== undefined) {
          this.promptTokens += usage.prompt_tokens ?? 0
          this.completionTokens += usage.completion_tokens ?? 0
          this.credits += usage.nexos_credits_cost ?? 0
        }
        break
      }
      case "Failed":
        this.failed++
        break
      case "Skipped":
        this.skipped++
        break
      case "NotDone":
        this.notDone++
        break
    }
  }

  snapshot(now: number, remote: Batches.RequestCounts | undefined, finished: boolean): Batch.Progress {
    const succeeded = remote === undefined ? this.succeeded : Math.max(this.succeeded, remote.completed)
    const failed = remote === undefined ? this.failed : Math.max(this.failed, this.localFailed() + remote.failed)
    const done = succeeded + failed + this.skipped
    const elapsedMs = Math.max(0, now - this.startedAt)
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
    const left = this.total === undefined ? undefined : Math.max(0, this.total - done - this.notDone)
    return {
      total: this.total,
      done,
      succeeded,
      failed,
      skipped: this.skipped,
      notDone: this.notDone,
      inFlight: remote === undefined || finished ? 0 : Math.max(0, remote.total - remote.completed - remote.failed),
      retried: 0,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      credits: this.credits,
      rate,
      eta: left === undefined || rate === 0 ? undefined : Duration.millis(Math.round((left / rate) * 1000)),
      elapsed: Duration.millis(elapsedMs),
      finished
    }
  }

  private localFailed(): number {
    let n = 0
    for (const r of this.local) if (r.outcome._tag === "Failed") n++
    return n
  }
}

const endpointOf = (request: Batch.Request): Endpoint =>
  Engine.isChat(request) ? "/v1/chat/completions" : "/v1/embeddings"

/** The request as it goes into the file, or why it cannot. */
const bodyOf = (
  request: Batch.Request,
  extraBody: Readonly<Record<string, unknown>> | undefined
): Either.Either<Record<string, unknown>, NexosError.InvalidRequest> => {
  if (Engine.isChat(request)) {
    const { stream: _stream, stream_options: _options, ...rest } = request
    return Either.match(ChatCompletionRequest.validate(rest), {
      onLeft: (issues) => Either.left(invalid(issues, "chat completion request")),
      onRight: (valid) => Either.right({ ...valid, ...extraBody })
    })
  }
  return Either.match(validateEmbeddings(request), {
    onLeft: (error) => Either.left(invalid(ChatCompletionRequest.issuesOf(error), "embeddings request")),
    onRight: (valid) => Either.right({ ...valid, ...extraBody })
  })
}

const outcomeOf = (
  endpoint: Endpoint,
  line: Batches.OutputLine,
  now: number
): Batch.Outcome<unknown> => {
  const response = line.response
  if (response === undefined) {
    const code = line.error?.code
    if (code === "batch_expired" || code === "batch_cancelled") return { _tag: "NotDone", reason: "interrupted" }
    return {
      _tag: "Failed",
      error: NexosError.fromResponse({
        status: 400,
        headers: {},
        bodyText: JSON.stringify({
          error: line.error ?? { message: "The batch reported no response for this request" }
        }),
        now
      })
    }
  }
  const headers: Record<string, string> = response.request_id === undefined
    ? {}
    : { "x-request-id": response.request_id }
  if (response.status_code < 200 || response.status_code >= 300) {
    return {
      _tag: "Failed",
      error: NexosError.fromResponse({
        status: response.status_code,
        headers,
        bodyText: typeof response.body === "string" ? response.body : JSON.stringify(response.body ?? ""),
        now
      })
    }
  }
  const value = endpoint === "/v1/embeddings" ? decodeEmbeddings(response.body) : decodeCompletion(response.body)
  if (value instanceof DecodeFailure) {
    return {
      _tag: "Failed",
      error: new NexosError.DecodeError({
        message: `The batch output for this request does not have the expected shape: ${value.message}`,
        excerpt: NexosError.excerpt(JSON.stringify(response.body) ?? ""),
        ...(response.request_id === undefined ? {} : { requestId: response.request_id })
      })
    }
  }
  const meta = ResponseMeta.fromHeaders(response.status_code, headers)
  if (typeof value === "object" && value !== null) ResponseMeta.attach(value, meta)
  return { _tag: "Succeeded", value, meta }
}

const seconds = (value: number | undefined) => (value === undefined ? undefined : value * 1000)

const finishedAt = (batch: Batches.Batch): number | undefined =>
  seconds(batch.completed_at ?? batch.expired_at ?? batch.cancelled_at ?? batch.failed_at ?? batch.finalizing_at)

/**
 * Runs keyed requests through the gateway's Batch API: the input becomes a JSONL file uploaded as it is read, the
 * batch is created (or re-attached with `batchId`), polled until it ends, and its output and error files are read
 * back into one `Result` per key.
 */
export const runRemote = (
  input: Stream.Stream<Entry, any, any>,
  options: Batch.RemoteOptions,
  hooks: Hooks
): Stream.Stream<AnyResult, any, any> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const state = new RemoteState(options.total)
    state.startedAt = yield* Clock.currentTimeMillis
    const duplicates = options.duplicates ?? "fail"
    const store = hooks.store
    const { extraBody, ...apiOptions } = options.requestOptions ?? {}

    const publish = (remote: Batches.RequestCounts | undefined, finished: boolean) =>
      options.progress === undefined
        ? Effect.void
        : Effect.flatMap(
          Clock.currentTimeMillis,
          (now) => SubscriptionRef.set(options.progress!, state.snapshot(now, remote, finished))
        )

    const enter = (chunk: Chunk.Chunk<Entry>) =>
      Effect.gen(function*() {
        const entries = Chunk.toReadonlyArray(chunk)
        const recorded = Option.isSome(store) && entries.length > 0
          ? yield* store.value.lookup(entries.map((e) => e.key))
          : undefined
        let text = ""
        for (const entry of entries) {
          state.entered++
          if (state.keys.has(entry.key)) {
            if (duplicates === "skip") continue
            return yield* Effect.fail(hooks.duplicate(entry.key, entry.index))
          }
          const found = recorded?.get(entry.key)
          const skip = found !== undefined && !(options.retryFailed === true && found.status === "failed" &&
            found.retryable)
          if (skip) {
            state.keys.set(entry.key, { index: entry.index, line: 0, emitted: true })
            state.local.push({
              key: entry.key,
              index: entry.index,
              outcome: { _tag: "Skipped", recorded: found! },
              attempts: 0
            })
            continue
          }
          const request = entry.request
          const body = entry.rejected !== undefined
            ? Either.left(entry.rejected)
            : request === undefined
            ? Either.left(new NexosError.InvalidRequest({ message: "The item has no request", issues: [] }))
            : entry.key === ""
            ? Either.left(
              new NexosError.InvalidRequest({
                message: "Invalid batch item: the key must not be empty (it is the custom_id)",
                issues: [{ path: "key", message: "must not be empty" }]
              })
            )
            : state.endpoint !== undefined && endpointOf(request) !== state.endpoint
            ? Either.left(
              new NexosError.InvalidRequest({
                message: `Invalid batch item: a remote batch runs one endpoint (${state.endpoint}); this item is for ${
                  endpointOf(request)
                }`,
                issues: [{ path: "request", message: `must be a request for ${state.endpoint}` }]
              })
            )
            : bodyOf(request, { ...extraBody, ...entry.options?.extraBody })
          if (Either.isLeft(body)) {
            state.keys.set(entry.key, { index: entry.index, line: 0, emitted: true })
            state.local.push({
              key: entry.key,
              index: entry.index,
              outcome: { _tag: "Failed", error: body.left },
              attempts: 0
            })
            continue
          }
          state.endpoint ??= endpointOf(request!)
          state.lineKeys.push(entry.key)
          state.keys.set(entry.key, { index: entry.index, line: state.lineKeys.length - 1, emitted: false })
          text += JSON.stringify({ custom_id: entry.key, method: "POST", url: state.endpoint, body: body.right }) + "\n"
        }
        return text === "" ? Chunk.empty<Uint8Array>() : Chunk.of(encoder.encode(text))
      })

    const lines = Stream.mapChunksEffect(input, enter)

    const attach = Effect.gen(function*() {
      if (options.batchId !== undefined) {
        yield* Stream.runDrain(lines)
        return Option.some(yield* client.batches.get(options.batchId, apiOptions))
      }
      const [first, rest] = yield* Stream.peel(lines, Sink.head())
      if (Option.isNone(first)) return Option.none<Batches.Batch>()
      const file = yield* client.files.upload(
        Upload.fromStream(Stream.concat(Stream.succeed(first.value), rest), {
          filename: options.filename ?? "batch-input.jsonl"
        }),
        { purpose: "batch" },
        { ...apiOptions, retry: RetryPolicy.none }
      )
      const batch = yield* client.batches.create({
        input_file_id: file.id,
        endpoint: state.endpoint!,
        ...(options.metadata === undefined ? {} : { metadata: options.metadata })
      }, apiOptions)
      if (options.onCreated !== undefined) yield* options.onCreated(batch)
      return Option.some(batch)
    })

    const settle = (chunk: Chunk.Chunk<AnyResult>, remote: Batches.RequestCounts | undefined) => {
      const finished = Chunk.toReadonlyArray(chunk).filter((r) =>
        r.outcome._tag === "Succeeded" || r.outcome._tag === "Failed"
      )
      const recorded = Option.isSome(store) && finished.length > 0 ? store.value.record(finished) : Effect.void
      return Effect.as(Effect.zipRight(recorded, publish(remote, false)), chunk)
    }

    const started = yield* attach
    state.total ??= state.entered
    const localResults = state.local
    if (Option.isNone(started)) {
      for (const r of localResults) state.count(r)
      return Stream.fromIterable(localResults).pipe(
        Stream.mapChunksEffect((chunk) => settle(chunk, undefined)),
        Stream.concat(Stream.drain(Stream.fromEffect(publish(undefined, true))))
      )
    }
    const batchId = started.value.id

    const poll = Effect.gen(function*() {
      const driver = yield* Schedule.driver(options.poll ?? Schedule.spaced("5 seconds"))
      let batch = started.value
      while (!Batches.isTerminal(batch.status)) {
        yield* publish(batch.request_counts, false)
        const next = yield* Effect.either(driver.next(batch))
        if (Either.isLeft(next)) return { batch, ended: false }
        batch = yield* client.batches.get(batchId, apiOptions)
      }
      return { batch, ended: true }
    })

    const polled = yield* (options.cancelOnInterrupt === true
      ? Effect.onInterrupt(poll, () => Effect.ignore(client.batches.cancel(batchId, apiOptions)))
      : poll)
    const final = polled.batch
    const endpoint = state.endpoint ?? (final.endpoint as Endpoint)
    const startedAt = seconds(final.in_progress_at)
    const endedAt = finishedAt(final)
    const timing = {
      ...(startedAt === undefined ? {} : { startedAt }),
      ...(endedAt === undefined ? {} : { finishedAt: endedAt })
    }

    const emit = (key: string, outcome: Batch.Outcome<unknown>): Option.Option<AnyResult> => {
      const known = state.keys.get(key)
      if (known === undefined || known.emitted) return Option.none()
      known.emitted = true
      const ran = outcome._tag === "Succeeded" || outcome._tag === "Failed"
      const result: AnyResult = { key, index: known.index, outcome, attempts: ran ? 1 : 0, ...(ran ? timing : {}) }
      state.count(result)
      return Option.some(result)
    }

    const fileResults = (fileId: string | undefined) =>
      fileId === undefined ? Stream.empty : client.files.content(fileId, apiOptions).pipe(
        Stream.decodeText(),
        Stream.splitLines,
        Stream.mapChunksEffect((chunk) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const out: Array<AnyResult> = []
            for (const text of chunk) {
              if (text.trim() === "") continue
              let json: unknown
              try {
                json = JSON.parse(text)
              } catch {
                continue
              }
              const line = decodeLine(json)
              if (Either.isLeft(line)) continue
              const result = emit(line.right.custom_id, outcomeOf(endpoint, line.right, now))
              if (Option.isSome(result)) out.push(result.value)
            }
            return Chunk.unsafeFromArray(out)
          })
        )
      )

    const validationFailures = final.status !== "failed" ? Stream.empty : Stream.unwrap(
      Effect.map(Clock.currentTimeMillis, (now) => {
        const out: Array<AnyResult> = []
        for (const error of final.errors?.data ?? []) {
          const key = error.line === undefined ? undefined : state.lineKeys[error.line]
          if (key === undefined || key === "") continue
          const failure = NexosError.fromResponse({
            status: 400,
            headers: {},
            bodyText: JSON.stringify({ error }),
            now
          })
          const result = emit(key, { _tag: "Failed", error: failure })
          if (Option.isSome(result)) out.push(result.value)
        }
        return Stream.fromIterable(out)
      })
    )

    const missing = Stream.suspend(() => {
      const out: Array<AnyResult> = []
      const pending = [...state.keys.entries()].filter(([, k]) => !k.emitted).sort((a, b) => a[1].index - b[1].index)
      for (const [key] of pending) {
        const result = emit(key, { _tag: "NotDone", reason: "interrupted" })
        if (Option.isSome(result)) out.push(result.value)
      }
      return Stream.fromIterable(out)
    })

    for (const r of localResults) state.count(r)
    return Stream.fromIterable(localResults).pipe(
      Stream.concat(polled.ended ? fileResults(final.output_file_id) : Stream.empty),
      Stream.concat(polled.ended ? fileResults(final.error_file_id) : Stream.empty),
      Stream.concat(validationFailures),
      Stream.concat(missing),
      Stream.mapChunksEffect((chunk) => settle(chunk, final.request_counts)),
      Stream.concat(Stream.drain(Stream.fromEffect(publish(undefined, true))))
    )
  }))
