import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Batch from "../Batch.js"
import * as NexosError from "../NexosError.js"
import type { Entry } from "./batchEngine.js"
import { toRecorded } from "./batchEngine.js"

const encoder = new TextEncoder()

interface ErrorBody {
  readonly message: string
  readonly type?: string | undefined
  readonly code?: string | number | undefined
  readonly param?: string | number | undefined
}

const errorBody = (error: NexosError.NexosError): unknown => {
  if ("body" in error && error.body !== undefined) return error.body
  const body: ErrorBody = {
    message: error.message,
    ...("type" in error && error.type !== undefined ? { type: error.type } : {}),
    ...("code" in error && error.code !== undefined ? { code: error.code } : {}),
    ...("param" in error && error.param !== undefined ? { param: error.param } : {})
  }
  return { error: body }
}

/** A result as a line of the OpenAI batch output format (plus a `nexos` object), or `undefined` when not finished. */
export const outputLine = (result: Batch.Result<unknown>): string | undefined => {
  const outcome = result.outcome
  const timing = result.startedAt === undefined
    ? {}
    : { started_at: result.startedAt, finished_at: result.finishedAt }
  if (outcome._tag === "Succeeded") {
    const requestId = outcome.meta?.requestId
    return JSON.stringify({
      id: `batch_req_${requestId ?? result.key}`,
      custom_id: result.key,
      response: { status_code: outcome.meta?.status ?? 200, request_id: requestId ?? null, body: outcome.value },
      error: null,
      nexos: { attempts: result.attempts, ...timing }
    })
  }
  if (outcome._tag !== "Failed") return undefined
  const error = outcome.error
  const status = NexosError.status(error)
  const requestId = NexosError.requestId(error)
  const nexos = { attempts: result.attempts, ...timing, error: error._tag, retryable: error.isRetryable }
  return JSON.stringify({
    id: `batch_req_${requestId ?? result.key}`,
    custom_id: result.key,
    response: status === undefined
      ? null
      : { status_code: status, request_id: requestId ?? null, body: errorBody(error) },
    error: status === undefined ? { code: error._tag, message: error.message } : null,
    nexos
  })
}

const retryableStatus = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500

/** What an output line says about its key (the last line of a key wins); `undefined` for lines that are not ours. */
export const recordedOfLine = (text: string): Batch.Recorded | undefined => {
  let line: unknown
  try {
    line = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof line !== "object" || line === null) return undefined
  const { custom_id, error, nexos, response } = line as {
    custom_id?: unknown
    response?: { status_code?: unknown; body?: unknown } | null
    error?: { code?: unknown } | null
    nexos?: { retryable?: unknown; error?: unknown }
  }
  if (typeof custom_id !== "string") return undefined
  const status = typeof response?.status_code === "number" ? response.status_code : undefined
  if (status !== undefined && status >= 200 && status < 300 && (error === null || error === undefined)) {
    return { key: custom_id, status: "succeeded", retryable: false }
  }
  const code = typeof error?.code === "string" ? error.code : undefined
  const tag = typeof nexos?.error === "string" ? nexos.error : code
  const retryable = typeof nexos?.retryable === "boolean"
    ? nexos.retryable
    : status !== undefined
    ? retryableStatus(status)
    : code === "ConnectionError" || code === "Timeout"
  return { key: custom_id, status: "failed", retryable, ...(tag === undefined ? {} : { error: tag }) }
}

/** Builds the public `StoreError` (the public module passes its class in, so this module does not import it). */
export type MakeStoreError = (message: string, cause: unknown) => Batch.StoreError

/** Splits bytes into lines (LF or CRLF), each with its 1-based number; the last line may lack its newline. */
export const lines = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<{ readonly text: string; readonly number: number; readonly complete: boolean }, E, R> =>
  Stream.suspend(() => {
    const decoder = new TextDecoder()
    let carry = ""
    let number = 0
    const split = (text: string, complete: boolean) => {
      const out: Array<{ text: string; number: number; complete: boolean }> = []
      let from = 0
      for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", from)) {
        const end = at > from && text.charCodeAt(at - 1) === 13 ? at - 1 : at
        out.push({ text: text.slice(from, end), number: ++number, complete: true })
        from = at + 1
      }
      const rest = text.slice(from)
      if (complete && rest !== "") out.push({ text: rest, number: ++number, complete: false })
      return { out, rest }
    }
    return Stream.concat(
      Stream.mapConcat(bytes, (chunk) => {
        const { out, rest } = split(carry + decoder.decode(chunk, { stream: true }), false)
        carry = rest
        return out
      }),
      Stream.suspend(() => Stream.fromIterable(split(carry + decoder.decode(), true).out))
    )
  })

export interface JsonlStoreOptions {
  /** fsync after each group of lines (default false: a write per group; a crash of the process loses nothing that
   * was emitted, a crash of the machine may lose what the OS had not flushed). */
  readonly sync?: boolean | undefined
}

interface Waiter {
  result: Either.Either<void, Batch.StoreError> | undefined
  resume: ((result: Either.Either<void, Batch.StoreError>) => void) | undefined
}

/** The JSONL store: indexes the file's keys, cuts a torn last line, then appends one line per finished key. */
export const makeStore = (
  path: string,
  options: JsonlStoreOptions,
  makeError: MakeStoreError
): Effect.Effect<Batch.StoreService, Batch.StoreError, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const fail = (message: string) => (cause: unknown) =>
      makeError(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
    const recorded = new Map<string, Batch.Recorded>()
    const exists = yield* Effect.mapError(fs.exists(path), fail(`Cannot read the results file ${path}`))
    let needsNewline = false
    if (exists) {
      let torn: string | undefined
      yield* lines(fs.stream(path)).pipe(
        Stream.runForEach((line) =>
          Effect.sync(() => {
            const entry = recordedOfLine(line.text)
            if (entry !== undefined) recorded.set(entry.key, entry)
            if (line.complete) return
            if (entry === undefined) torn = line.text
            else needsNewline = true
          })
        ),
        Effect.mapError(fail(`Cannot read the results file ${path}`))
      )
      if (torn !== undefined) {
        const size = yield* Effect.mapError(fs.stat(path), fail(`Cannot read the results file ${path}`))
        yield* Effect.logWarning(`nexos batch: the last line of ${path} is incomplete (a crash?); it is dropped`)
        yield* Effect.mapError(
          fs.truncate(path, Number(size.size) - encoder.encode(torn).length),
          fail(`Cannot repair the results file ${path}`)
        )
      }
    }
    const file = yield* Effect.mapError(
      fs.open(path, { flag: "a" }),
      fail(`Cannot open the results file ${path} for appending`)
    )
    if (needsNewline) yield* Effect.mapError(file.writeAll(encoder.encode("\n")), fail(`Cannot write to ${path}`))
    let pending: Array<string> = []
    let waiters: Array<Waiter> = []
    let flushing = false
    const flush: Effect.Effect<void> = Effect.suspend(() => {
      if (pending.length === 0) {
        flushing = false
        return Effect.void
      }
      const text = pending.join("")
      const done = waiters
      pending = []
      waiters = []
      return file.writeAll(encoder.encode(text)).pipe(
        Effect.zipRight(options.sync === true ? file.sync : Effect.void),
        Effect.mapError(fail(`Cannot write to the results file ${path}`)),
        Effect.either,
        Effect.flatMap((result) => {
          for (const waiter of done) {
            waiter.result = result
            waiter.resume?.(result)
          }
          return flush
        })
      )
    })
    const wait = (waiter: Waiter) =>
      Effect.async<void, Batch.StoreError>((resume) => {
        const finish = (result: Either.Either<void, Batch.StoreError>) =>
          resume(result._tag === "Right" ? Effect.void : Effect.fail(result.left))
        if (waiter.result !== undefined) finish(waiter.result)
        else waiter.resume = finish
      })
    return {
      lookup: (keys) =>
        Effect.sync(() => {
          const out = new Map<string, Batch.Recorded>()
          for (const key of keys) {
            const found = recorded.get(key)
            if (found !== undefined) out.set(key, found)
          }
          return out
        }),
      record: (results) =>
        Effect.suspend(() => {
          let text = ""
          for (const result of results) {
            const line = outputLine(result)
            const entry = toRecorded(result)
            if (line === undefined || entry === undefined) continue
            text += line + "\n"
            recorded.set(entry.key, entry)
          }
          if (text === "") return Effect.void
          const waiter: Waiter = { result: undefined, resume: undefined }
          pending.push(text)
          waiters.push(waiter)
          if (flushing) return wait(waiter)
          flushing = true
          return Effect.zipRight(Effect.uninterruptible(flush), wait(waiter))
        })
    } satisfies Batch.StoreService
  })

const validateEmbeddings = Schema.validateEither(Embeddings.EmbeddingsRequest, { errors: "all" })

const chatPaths = new Set(["/v1/chat/completions", "/chat/completions"])
const embeddingPaths = new Set(["/v1/embeddings", "/embeddings"])

const rejected = (key: string, index: number, message: string, path = "(line)"): Entry => ({
  key,
  index,
  request: undefined,
  options: undefined,
  rejected: new NexosError.InvalidRequest({ message, issues: [{ path, message }] })
})

/**
 * One input line as an entry: `{ custom_id | key, body | request, url?, method? }` (the OpenAI batch input format as
 * it is). A line that does not fit becomes a rejected entry whose error names the line.
 */
export const parseInputLine = (text: string, number: number, index: number): Entry | undefined => {
  if (text.trim() === "") return undefined
  const fallbackKey = `line-${number}`
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return rejected(fallbackKey, index, `line ${number}: not JSON (${(e as Error).message})`)
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return rejected(fallbackKey, index, `line ${number}: expected a JSON object`)
  }
  const line = json as { custom_id?: unknown; key?: unknown; body?: unknown; request?: unknown; url?: unknown }
  const key = line.custom_id ?? line.key
  if (typeof key !== "string" || key === "") {
    return rejected(fallbackKey, index, `line ${number}: missing "custom_id" (or "key"): a non-empty string`)
  }
  const body = line.body ?? line.request
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return rejected(key, index, `line ${number} (${key}): missing "body" (or "request"): a JSON object`)
  }
  const url = typeof line.url === "string" ? line.url.replace(/\?.*$/, "") : undefined
  if (url !== undefined && !chatPaths.has(url) && !embeddingPaths.has(url)) {
    return rejected(
      key,
      index,
      `line ${number} (${key}): unsupported url ${url}: use /v1/chat/completions or /v1/embeddings`
    )
  }
  const embeddings = url !== undefined ? embeddingPaths.has(url) : !("messages" in body) && "input" in body
  if (embeddings) {
    const valid = validateEmbeddings(body)
    if (Either.isLeft(valid)) {
      const issues = ChatCompletionRequest.issuesOf(valid.left)
      return {
        ...rejected(key, index, ""),
        rejected: new NexosError.InvalidRequest({
          message: `line ${number} (${key}): ${ChatCompletionRequest.formatIssues(issues)}`,
          issues
        })
      }
    }
    return { key, index, request: valid.right, options: undefined }
  }
  const valid = ChatCompletionRequest.validate(body)
  if (Either.isLeft(valid)) {
    return {
      ...rejected(key, index, ""),
      rejected: new NexosError.InvalidRequest({
        message: `line ${number} (${key}): ${ChatCompletionRequest.formatIssues(valid.left)}`,
        issues: valid.left
      })
    }
  }
  return { key, index, request: valid.right, options: undefined }
}

/** The entries of an input JSONL file, in order. */
export const inputEntries = (
  fs: FileSystem.FileSystem,
  path: string
): Stream.Stream<Entry, PlatformError.PlatformError> =>
  Stream.suspend(() => {
    let index = 0
    return lines(fs.stream(path)).pipe(
      Stream.filterMap((line) => {
        const entry = parseInputLine(line.text, line.number, index)
        if (entry !== undefined) index++
        return Option.fromNullable(entry)
      })
    )
  })
