import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import * as ApiError from "@nexos-effect/schema/ApiError"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import type * as NexosClient from "../NexosClient.js"
import * as NexosError from "../NexosError.js"
import * as ResponseMeta from "../ResponseMeta.js"
import type * as RetryPolicy from "../RetryPolicy.js"
import { SseChunkReader } from "./sse.js"
import type { Native } from "./undici.js"
import { DecodeFailure } from "./wireDecode.js"

export interface ResolvedConfig {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
  readonly authHeader: "bearer" | "x-api-key"
  readonly headers: Readonly<Record<string, string>>
  readonly userAgent: string
  readonly timeout: Duration.Duration
  readonly retry: RetryPolicy.RetryPolicy
  readonly retryOn: RetryPolicy.RetryOn
  readonly firstChunkTimeout: Duration.Duration
  readonly idleTimeout: Duration.Duration
  readonly redactedHeaders: ReadonlyArray<string>
  readonly deadline: Duration.Duration
}

/** What one call has received so far, for the message of a deadline. */
export interface Progress {
  responded: boolean
  bodyBytes: number | undefined
  requestId: string | undefined
}

export const makeProgress = (): Progress => ({ responded: false, bodyBytes: undefined, requestId: undefined })

export type Overrides = NexosClient.RequestOptions

export const retryCountHeader = "x-nexos-retry-count"

export const defaultRedactedHeaders: ReadonlyArray<string> = ["authorization", "x-api-key", "x-nexos-key"]

/** Runs a call with the client's secret header names added to `Headers.currentRedactedNames`, which decides what
 * is redacted in span attributes, in the headers copied into errors and `ResponseMeta`, and wherever a `Headers`
 * value is printed or logged. */
export const withRedactedHeaders =
  (config: ResolvedConfig) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locallyWith(
      effect,
      Headers.currentRedactedNames,
      (names) => [...names, ...defaultRedactedHeaders, ...config.redactedHeaders]
    )

const redactWith = (headers: Headers.Headers, names: ReadonlyArray<string | RegExp>): Record<string, string> => {
  const redacted = Headers.redact(headers, names)
  const out: Record<string, string> = {}
  for (const name in redacted) out[name] = String(redacted[name])
  return out
}

/** The headers as a record, with the values of secret headers (`Headers.currentRedactedNames`) as `<redacted>`. */
export const redactedRecord = (
  config: ResolvedConfig,
  headers: Headers.Headers
): Effect.Effect<Record<string, string>> =>
  Effect.map(
    FiberRef.get(Headers.currentRedactedNames),
    (names) => redactWith(headers, [...names, ...defaultRedactedHeaders, ...config.redactedHeaders])
  )

export const secretsOf = (config: ResolvedConfig): ReadonlyArray<string> => [Redacted.value(config.apiKey)]

const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current = cause
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown }
    const text = [typeof code === "string" ? code : undefined, typeof message === "string" ? message : undefined]
      .filter((x) => x !== undefined && x !== "").join(" ")
    if (text !== "" && !parts.includes(text)) parts.push(text)
    current = (current as { cause?: unknown }).cause
  }
  return parts.length === 0 ? "" : ` (${parts.join(": ")})`
}

const scrubCause = (cause: unknown, secrets: ReadonlyArray<string>, depth: number): unknown => {
  if (!(cause instanceof Error)) {
    return typeof cause === "string"
      ? NexosError.scrub(cause, secrets)
      : cause === undefined
      ? undefined
      : String(cause)
  }
  const copy = new Error(NexosError.scrub(cause.message, secrets))
  copy.name = cause.name
  copy.stack = NexosError.scrub(cause.stack ?? "", secrets)
  const code = (cause as { code?: unknown }).code
  if (typeof code === "string") Object.assign(copy, { code })
  if (cause.cause !== undefined && depth < 4) copy.cause = scrubCause(cause.cause, secrets, depth + 1)
  return copy
}

const transportError = (
  config: ResolvedConfig,
  error: HttpClientError.HttpClientError,
  beforeFirstByte: boolean
): NexosError.NexosError => {
  const detail = NexosError.scrub(`${error.message}${describeCause(error.cause)}`, secretsOf(config))
  if (error._tag === "RequestError" && error.reason !== "Transport") {
    return new NexosError.InvalidRequest({
      message: `The request could not be built (${error.reason}): ${detail}`,
      issues: [{ path: "(request)", message: detail }]
    })
  }
  return new NexosError.ConnectionError({
    message: `Connection to the gateway failed: ${detail}`,
    beforeFirstByte,
    cause: scrubCause(error.cause, secretsOf(config), 0)
  })
}

/** A failure while reading a response body (after the headers): never retried. */
export const bodyError = (config: ResolvedConfig, error: HttpClientError.HttpClientError): NexosError.NexosError =>
  transportError(config, error, false)

export const toHeaderRecord = (headers: Headers.Headers): Record<string, string> => headers as Record<string, string>

export const buildRequest = (
  config: ResolvedConfig,
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
  path: string,
  body: unknown,
  overrides: Overrides
): HttpClientRequest.HttpClientRequest => {
  const auth: Record<string, string> = config.authHeader === "bearer"
    ? { authorization: `Bearer ${Redacted.value(config.apiKey)}` }
    : { "x-api-key": Redacted.value(config.apiKey) }
  let request = HttpClientRequest.make(method)(config.baseUrl + path).pipe(
    HttpClientRequest.setHeaders({
      accept: "application/json",
      "user-agent": config.userAgent,
      ...config.headers,
      ...overrides.headers,
      ...auth
    })
  )
  if (overrides.query !== undefined) request = HttpClientRequest.setUrlParams(request, overrides.query)
  if (body !== undefined) {
    const merged = overrides.extraBody === undefined ? body : { ...(body as object), ...overrides.extraBody }
    request = HttpClientRequest.bodyText(request, JSON.stringify(merged), "application/json")
  }
  return request
}

const failOnStatus = (
  config: ResolvedConfig,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<HttpClientResponse.HttpClientResponse, NexosError.NexosError> =>
  response.status >= 200 && response.status < 300
    ? Effect.succeed(response)
    : Effect.flatMap(
      Effect.zip(Effect.orElseSucceed(response.text, () => ""), redactedRecord(config, response.headers)),
      ([bodyText, headers]) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.fail(
            NexosError.fromResponse({
              status: response.status,
              headers,
              bodyText,
              now,
              secrets: secretsOf(config)
            })
          ))
    )

const nativeTracer: Tracer.Tracer = globalValue(
  Symbol.for("@nexos-effect/client/internal/transport/nativeTracer"),
  () => Effect.runSync(Effect.tracer)
)

/** Whether spans are recorded: tracing is on and a tracer other than Effect's built-in one is installed. */
export const isTracing = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  fiber.currentTracer !== nativeTracer && fiber.getFiberRef(FiberRef.currentTracerEnabled)

/** The current span, when spans are recorded. */
export const spanOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Tracer.Span | undefined => {
  if (!isTracing(fiber)) return undefined
  const span = fiber.currentSpan
  return span !== undefined && span._tag === "Span" ? span : undefined
}

/** Runs `f` in a client span when spans are recorded (the span in hand, to annotate); otherwise without a span. */
export const withSpan = <A, E, R>(
  name: string,
  attributes: Record<string, unknown>,
  f: (span: Tracer.Span | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) =>
    isTracing(fiber)
      ? Effect.useSpan(
        name,
        { kind: "client", captureStackTrace: false, attributes },
        (span) => Effect.withParentSpan(f(span), span)
      )
      : f(undefined)
  )

/** Puts attributes on a span, when there is one. */
export const annotate = (span: Tracer.Span | undefined, attributes: Record<string, unknown>): void => {
  if (span !== undefined) { for (const key in attributes) span.attribute(key, attributes[key]) }
}

const redactNames = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  config: ResolvedConfig
): ReadonlyArray<string | RegExp> => [
  ...fiber.getFiberRef(Headers.currentRedactedNames),
  ...defaultRedactedHeaders,
  ...config.redactedHeaders
]

const attemptFailed = (
  span: Tracer.Span,
  attempt: number,
  error: NexosError.NexosError,
  retryOn: RetryPolicy.RetryOn
): Effect.Effect<void> =>
  Effect.map(Clock.currentTimeMillis, (millis) => {
    span.event("nexos.attempt.failed", BigInt(Math.round(millis)) * 1_000_000n, {
      "nexos.attempt": attempt,
      "error.type": error._tag,
      "nexos.retryable": retryOn(error),
      ...("status" in error && error.status !== undefined ? { "http.response.status_code": error.status } : {})
    })
  })

const headerAttributes = (
  prefix: "http.request.header." | "http.response.header.",
  headers: Headers.Headers,
  names: ReadonlyArray<string | RegExp>
): Record<string, unknown> => {
  const record = redactWith(headers, names)
  const attributes: Record<string, unknown> = {}
  for (const name in record) attributes[prefix + name] = record[name]
  return attributes
}

/** Puts the request's headers (secret ones redacted) on the span and, unless
 * `HttpClient.withTracerPropagation(false)`, the span's trace context (`traceparent`, `b3`) on the request. */
const traceRequest = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  span: Tracer.Span,
  request: HttpClientRequest.HttpClientRequest,
  names: ReadonlyArray<string | RegExp>
): HttpClientRequest.HttpClientRequest => {
  annotate(span, headerAttributes("http.request.header.", request.headers, names))
  return fiber.getFiberRef(HttpClient.currentTracerPropagation)
    ? HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(span))
    : request
}

/** What one call's attempts share. */
interface Attempts<A> {
  readonly config: ResolvedConfig
  readonly request: HttpClientRequest.HttpClientRequest
  readonly sent: HttpClientRequest.HttpClientRequest
  readonly read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, NexosError.NexosError>
  readonly progress: Progress | undefined
  readonly span: Tracer.Span | undefined
  readonly names: ReadonlyArray<string | RegExp>
  readonly timeout: Duration.Duration
  readonly retry: RetryPolicy.RetryPolicy
  readonly retryOn: RetryPolicy.RetryOn
}

const attempts = <A>(
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  config: ResolvedConfig,
  request: HttpClientRequest.HttpClientRequest,
  overrides: Overrides,
  read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, NexosError.NexosError>,
  progress: Progress | undefined
): Attempts<A> => {
  const span = spanOf(fiber)
  const names = span === undefined ? [] : redactNames(fiber, config)
  return {
    config,
    request,
    sent: span === undefined ? request : traceRequest(fiber, span, request, names),
    read,
    progress,
    span,
    names,
    timeout: overrides.timeout === undefined ? config.timeout : Duration.decode(overrides.timeout),
    retry: overrides.retry ?? config.retry,
    retryOn: overrides.retryOn ?? config.retryOn
  }
}

const requestOf = <A>(call: Attempts<A>, n: number): HttpClientRequest.HttpClientRequest =>
  n === 0 ? call.sent : HttpClientRequest.setHeader(call.sent, retryCountHeader, String(n))

const responded = <A>(call: Attempts<A>, n: number, response: HttpClientResponse.HttpClientResponse) => {
  const headers = response.headers
  if (call.span !== undefined) {
    annotate(call.span, {
      "http.request.method": call.request.method,
      "url.full": call.request.url,
      "http.response.status_code": response.status,
      "nexos.attempts": n + 1,
      ...headerAttributes("http.response.header.", headers, call.names)
    })
  }
  if (call.progress !== undefined) {
    call.progress.responded = true
    call.progress.requestId = headers["x-request-id"] ?? call.progress.requestId
  }
  return Effect.flatMap(failOnStatus(call.config, response), call.read)
}

const attemptTimeout = (timeout: Duration.Duration, started: boolean) =>
  new NexosError.Timeout({
    message: started
      ? `The response started but did not complete within ${Duration.format(timeout)} (per-attempt timeout)`
      : `No response within ${Duration.format(timeout)} (per-attempt timeout)`,
    phase: "request",
    afterFirstByte: started,
    timeoutMs: Duration.toMillis(timeout)
  })

/** Retries after a first failure: the retry schedule is only built once an attempt has failed. */
const retryAfter = <A>(
  error: NexosError.NexosError,
  next: Effect.Effect<A, NexosError.NexosError>,
  retry: RetryPolicy.RetryPolicy,
  retryOn: RetryPolicy.RetryOn
): Effect.Effect<A, NexosError.NexosError> => {
  let replay = true
  return Effect.retry(
    Effect.suspend(() => {
      if (!replay) return next
      replay = false
      return Effect.fail(error)
    }),
    { schedule: retry, while: retryOn }
  )
}

/**
 * Sends a request under the transport policy: per-attempt timeout (until `read` is done), status classification,
 * and retries of the failures `retryOn` accepts (by default the retryable ones; a timeout after the response
 * started is not retryable). The retry count of each attempt goes out in a header.
 */
export const send = <A>(
  client: HttpClient.HttpClient,
  config: ResolvedConfig,
  request: HttpClientRequest.HttpClientRequest,
  overrides: Overrides,
  read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, NexosError.NexosError>,
  progress: Progress = makeProgress(),
  deadline: Duration.Duration = Duration.infinity
): Effect.Effect<A, NexosError.NexosError> =>
  Effect.withFiberRuntime((fiber) => {
    const call = attempts(fiber, config, request, overrides, read, progress)
    const { span, timeout } = call
    const clock = fiber.currentDefaultServices.unsafeMap.get(Clock.Clock.key) as Clock.Clock
    const timeoutMs = Duration.isFinite(timeout) ? Duration.toMillis(timeout) : Infinity
    const deadlineMs = Duration.isFinite(deadline) ? Duration.toMillis(deadline) : Infinity
    const startedAt = deadlineMs === Infinity ? 0 : clock.unsafeCurrentTimeMillis()
    let attempt = 0
    const once = (limitMs: number, byDeadline: boolean) =>
      Effect.suspend(() => {
        const n = attempt++
        let started = false
        let effect = Effect.flatMap(
          Effect.mapError(client.execute(requestOf(call, n)), (error) => transportError(config, error, true)),
          (response) => {
            started = true
            return responded(call, n, response)
          }
        )
        if (limitMs !== Infinity) {
          effect = Effect.timeoutFail(effect, {
            duration: limitMs,
            onTimeout: () => byDeadline ? deadlineTimeout(deadline, progress) : attemptTimeout(timeout, started)
          })
        }
        return span === undefined ?
          effect :
          Effect.tapError(effect, (error) =>
            isDeadline(error) ? Effect.void : attemptFailed(span, n, error, call.retryOn))
      })
    const firstByDeadline = deadlineMs < timeoutMs
    return Effect.catchAll(once(firstByDeadline ? deadlineMs : timeoutMs, firstByDeadline), (error) => {
      if (isDeadline(error)) {
        return Effect.fail(error)
      }
      const loop = retryAfter(error, once(timeoutMs, false), call.retry, call.retryOn)
      if (deadlineMs === Infinity) {
        return loop
      }
      const rest = Math.max(0, deadlineMs - (clock.unsafeCurrentTimeMillis() - startedAt))
      return Effect.timeoutFail(loop, {
        duration: rest,
        onTimeout: () =>
          deadlineTimeout(deadline, progress)
      })
    })
  })

const maxTimerMs = 2_147_483_647

/** One attempt's controller: aborting it cancels the request; `arm` aborts it after a time (`fired` then). */
class AttemptController extends AbortController {
  fired = false
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  arm(ms: number): void {
    const at = performance.now() + ms
    const tick = () => {
      const left = at - performance.now()
      if (left > maxTimerMs) {
        this.timer = setTimeout(tick, maxTimerMs)
        this.timer.unref?.()
      } else {
        this.timer = undefined
        this.fired = true
        this.abort()
      }
    }
    this.timer = setTimeout(tick, Math.min(ms, maxTimerMs))
    this.timer.unref?.()
  }
  disarm(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }
  override abort(reason?: unknown): void {
    this.disarm()
    super.abort(reason)
  }
}

const isDeadline = (error: NexosError.NexosError): boolean => error._tag === "Timeout" && error.phase === "deadline"

/**
 * `send` over the client's own undici transport, with the call's deadline: each attempt is bounded by a timer that
 * aborts its request (the per-attempt timeout or what is left of the deadline, whichever comes first), with no
 * second fiber. Retries and their waits, after a first failure, run under the rest of the deadline.
 */
export const sendNative = <A>(
  native: Native,
  config: ResolvedConfig,
  request: HttpClientRequest.HttpClientRequest,
  overrides: Overrides,
  read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, NexosError.NexosError>,
  progress: Progress,
  deadline: Duration.Duration
): Effect.Effect<A, NexosError.NexosError> =>
  Effect.withFiberRuntime((fiber) => {
    const call = attempts(fiber, config, request, overrides, read, progress)
    const { span, timeout } = call
    const timeoutMs = Duration.isFinite(timeout) ? Duration.toMillis(timeout) : Infinity
    const deadlineMs = Duration.isFinite(deadline) ? Duration.toMillis(deadline) : Infinity
    const startedAt = deadlineMs === Infinity ? 0 : performance.now()
    const remaining = () => deadlineMs === Infinity ? Infinity : deadlineMs - (performance.now() - startedAt)
    let attempt = 0
    const once = (first: boolean): Effect.Effect<A, NexosError.NexosError> =>
      Effect.suspend(() => {
        const n = attempt++
        const left = remaining()
        if (left <= 0) return Effect.fail(deadlineTimeout(deadline, progress))
        const byDeadline = left < timeoutMs
        const controller = new AttemptController()
        if (byDeadline || timeoutMs !== Infinity) controller.arm(byDeadline ? left : timeoutMs)
        let started = false
        return Effect.matchCauseEffect(
          Effect.flatMap(native.execute(requestOf(call, n), controller), (response) => {
            started = true
            return responded(call, n, response)
          }),
          {
            onSuccess: (value) => {
              controller.disarm()
              return Effect.succeed(value)
            },
            onFailure: (cause) => {
              controller.abort()
              let error: NexosError.NexosError
              if (controller.fired) {
                error = byDeadline ? deadlineTimeout(deadline, progress) : attemptTimeout(timeout, started)
              } else {
                const failure = Cause.failureOption(cause)
                if (failure._tag === "None") return Effect.failCause(cause as Cause.Cause<never>)
                error = HttpClientError.isHttpClientError(failure.value)
                  ? transportError(config, failure.value, true)
                  : failure.value
              }
              const failed: Effect.Effect<never, NexosError.NexosError> = Effect.fail(error)
              const after = !first || isDeadline(error)
                ? failed
                : Effect.suspend(() => {
                  const loop = retryAfter(error, once(false), call.retry, (e) => !isDeadline(e) && call.retryOn(e))
                  const rest = remaining()
                  return rest === Infinity
                    ? loop
                    : Effect.timeoutFail(loop, {
                      duration: Math.max(0, rest),
                      onTimeout: () => deadlineTimeout(deadline, progress)
                    })
                })
              return span === undefined || isDeadline(error)
                ? after
                : Effect.zipRight(attemptFailed(span, n, error, call.retryOn), after)
            }
          }
        )
      })
    return once(true)
  })

/** A body decoder: the decoded value, or a message saying what does not fit. */
export type BodyDecoder<A> = (json: unknown) => A | DecodeFailure

/** A `BodyDecoder` from a schema (for the endpoints without a hand-written decoder). */
export const schemaDecoder = <A, I>(schema: Schema.Schema<A, I>): BodyDecoder<A> => {
  const decode = ParseResult.decodeUnknownEither(schema, { errors: "first" })
  return (json) => {
    const result = decode(json)
    return result._tag === "Right"
      ? result.right
      : new DecodeFailure("", ParseResult.TreeFormatter.formatIssueSync(result.left), json, "body")
  }
}

/**
 * Reads a JSON body and decodes it, with the response's metadata. A body that is an error (`ApiError.isErrorBody`,
 * whatever the 2xx status) fails with the error it describes; other failures become `DecodeError` with a bounded
 * excerpt.
 */
export const readJsonWithMeta = <A>(decode: BodyDecoder<A>) =>
(config: ResolvedConfig) =>
(
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<{ readonly value: A; readonly meta: ResponseMeta.ResponseMeta }, NexosError.NexosError> =>
  Effect.flatMap(
    Effect.mapError(response.text, (error) => transportError(config, error, false)),
    (text): Effect.Effect<{ readonly value: A; readonly meta: ResponseMeta.ResponseMeta }, NexosError.NexosError> => {
      const requestId = response.headers["x-request-id"]
      const fail = (message: string) =>
        Effect.fail(
          new NexosError.DecodeError({
            message,
            excerpt: NexosError.excerpt(NexosError.scrub(text, secretsOf(config))),
            ...(requestId === undefined ? {} : { requestId })
          })
        )
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (e) {
        return fail(`The response body is not JSON: ${(e as Error).message}`)
      }
      if (ApiError.isErrorBody(json)) {
        return Effect.flatMap(
          Effect.zip(redactedRecord(config, response.headers), Clock.currentTimeMillis),
          ([headers, now]) =>
            Effect.fail(
              NexosError.fromResponse({
                status: response.status,
                headers,
                bodyText: text,
                now,
                secrets: secretsOf(config)
              })
            )
        )
      }
      const value = decode(json)
      if (value instanceof DecodeFailure) {
        return fail(
          `The response body does not have the expected shape: ${value.path === "" ? value.expected : value.message}`
        )
      }
      return Effect.map(metaOf(config, response), (meta) => ({ value, meta }))
    }
  )

/** The response's metadata (secret headers redacted). */
export const metaOf = (
  config: ResolvedConfig,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<ResponseMeta.ResponseMeta> =>
  Effect.map(redactedRecord(config, response.headers), (headers) => ResponseMeta.fromHeaders(response.status, headers))

/** `readJsonWithMeta` with the metadata attached to the value (`ResponseMeta.get`). */
export const readJson =
  <A>(decode: BodyDecoder<A>) =>
  (config: ResolvedConfig) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<A, NexosError.NexosError> =>
    Effect.map(readJsonWithMeta(decode)(config)(response), ({ meta, value }) => {
      if (typeof value === "object" && value !== null) ResponseMeta.attach(value, meta)
      return value
    })

/** The response to a streaming request, with its chunks when its body was JSON and has been read whole. */
export interface StreamBody {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly chunks: ReadonlyArray<ChatCompletionChunk.ChatCompletionChunk> | undefined
}

const isJsonType = (contentType: string | undefined): boolean =>
  contentType !== undefined && /json/i.test(contentType) && !/event-stream/i.test(contentType)

/**
 * Reads the response to a streaming request. A JSON content type (a gateway that ignored `stream: true`) is read
 * whole here, under the per-attempt timeout and the retry policy like a non-streaming body: an error body fails
 * with its typed error (retried when retryable: nothing was emitted yet), a completion becomes the chunks a stream of
 * it would give. Any other body is left to the stream (`decodeSse` also recognises a mislabelled JSON body).
 */
export const readStream =
  (config: ResolvedConfig) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<StreamBody, NexosError.NexosError> => {
    if (!isJsonType(response.headers["content-type"])) return Effect.succeed({ response, chunks: undefined })
    return Effect.flatMap(
      Effect.all([
        Effect.mapError(response.arrayBuffer, (error) => transportError(config, error, false)),
        redactedRecord(config, response.headers),
        Clock.currentTimeMillis
      ]),
      ([buffer, headers, now]) => {
        const requestId = response.headers["x-request-id"]
        const reader = new SseChunkReader({
          maxEventBytes: Number.MAX_SAFE_INTEGER,
          requireDone: true,
          requestId,
          secrets: secretsOf(config),
          status: response.status,
          headers,
          now: () => now
        })
        const chunks: Array<ChatCompletionChunk.ChatCompletionChunk> = []
        reader.feed(new Uint8Array(buffer), chunks)
        if (reader.failure === undefined && !reader.done) reader.end(chunks)
        return reader.failure === undefined ? Effect.succeed({ response, chunks }) : Effect.fail(reader.failure)
      }
    )
  }

const describeProgress = (progress: Progress): string =>
  !progress.responded
    ? "no response had arrived"
    : progress.bodyBytes === undefined
    ? "the response had started"
    : `the response had started, ${progress.bodyBytes} bytes of its body had arrived`

const deadlineTimeout = (deadline: Duration.Duration, progress: Progress) =>
  new NexosError.Timeout({
    message: `The call did not complete within its deadline of ${Duration.format(deadline)} (${
      describeProgress(progress)
    })`,
    phase: "deadline",
    afterFirstByte: progress.responded,
    timeoutMs: Duration.toMillis(deadline),
    ...(progress.bodyBytes === undefined ? {} : { bodyBytes: progress.bodyBytes }),
    ...(progress.requestId === undefined ? {} : { requestId: progress.requestId })
  })

/** Bounds a whole call (request, retries, reading) by its deadline. */
export const withDeadline = <A, R>(
  effect: Effect.Effect<A, NexosError.NexosError, R>,
  deadline: Duration.Duration,
  progress: Progress
): Effect.Effect<A, NexosError.NexosError, R> =>
  Duration.isFinite(deadline)
    ? Effect.timeoutFail(effect, { duration: deadline, onTimeout: () => deadlineTimeout(deadline, progress) })
    : effect

/** Bounds a whole streaming call (request, retries and the stream until its end) by its deadline. */
export const withStreamDeadline = <A, R>(
  stream: Stream.Stream<A, NexosError.NexosError, R>,
  deadline: Duration.Duration,
  progress: Progress
): Stream.Stream<A, NexosError.NexosError, R> =>
  Duration.isFinite(deadline)
    ? Stream.interruptWhen(
      stream,
      Effect.zipRight(Effect.sleep(deadline), Effect.suspend(() => Effect.fail(deadlineTimeout(deadline, progress))))
    )
    : stream
