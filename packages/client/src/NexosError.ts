/**
 * Every way a call can fail, as one tagged union of `Schema.TaggedError` classes (serialisable, `catchTag`-able).
 * Each error carries what a caller needs to act: status, code, message, request id, response headers and
 * `isRetryable`, the single classification the retry policy itself uses. HTTP failures are mapped in one place,
 * `fromResponse`, from status, body and headers. Messages never contain the API key.
 *
 * @since 0.1.0
 */
import * as ApiError from "@nexos-effect/schema/ApiError"
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

const Code = Schema.Union(Schema.String, Schema.Number)
const Headers = Schema.Record({ key: Schema.String, value: Schema.String })

const httpFields = {
  message: Schema.String,
  status: Schema.Number,
  code: Schema.optional(Code),
  type: Schema.optional(Schema.String),
  param: Schema.optional(Code),
  requestId: Schema.optional(Schema.String),
  headers: Schema.optionalWith(Headers, { default: () => ({}) }),
  body: Schema.optional(Schema.Unknown),
  retryAfterMs: Schema.optional(Schema.Number)
}

const shouldRetryHeader = (headers: Readonly<Record<string, string>> | undefined): boolean | undefined => {
  const value = headers?.["x-should-retry"]
  return value === "true" ? true : value === "false" ? false : undefined
}

const decide = (headers: Readonly<Record<string, string>> | undefined, byStatus: boolean): boolean =>
  shouldRetryHeader(headers) ?? byStatus

/**
 * The request was rejected before any byte was sent: it does not fit the API's rules. `issues` names each field.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  message: Schema.String,
  issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
}) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * HTTP 400 (and any other 4xx without a tag of its own): the API rejected the request.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, false)
  }
}

/**
 * HTTP 401: the API key is missing, wrong or revoked.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, false)
  }
}

/**
 * HTTP 402: API use needs a paid plan and purchased API credits.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutOfCredits extends Schema.TaggedError<OutOfCredits>()("OutOfCredits", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, false)
  }
}

/**
 * HTTP 403. `blockedByEdge` is true when the gateway's edge refused the client (`error code: 1010`), which usually
 * means its User-Agent is blocked: set an explicit `userAgent`.
 *
 * @since 0.1.0
 * @category errors
 */
export class PermissionDenied extends Schema.TaggedError<PermissionDenied>()("PermissionDenied", {
  ...httpFields,
  blockedByEdge: Schema.Boolean
}) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, false)
  }
}

/**
 * HTTP 404, including a model that is not enabled for the key (nexos code 100110).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, false)
  }
}

/**
 * HTTP 409: a conflicting request; retried by default.
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, true)
  }
}

/**
 * HTTP 422: the request was well-formed but could not be processed.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnprocessableEntity extends Schema.TaggedError<UnprocessableEntity>()("UnprocessableEntity", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, false)
  }
}

/**
 * HTTP 429: too many requests; retried after `retryAfterMs` when the server gave one.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, true)
  }
}

/**
 * HTTP 429 whose error says the quota is exhausted (`insufficient_quota`): waiting will not help, never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class QuotaExceeded extends Schema.TaggedError<QuotaExceeded>()("QuotaExceeded", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * HTTP 5xx: the gateway or the upstream provider failed; retried by default.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", httpFields) {
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. @since 0.1.0 */
  get retryAfter(): Duration.Duration | undefined {
    return this.retryAfterMs === undefined ? undefined : Duration.millis(this.retryAfterMs)
  }
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return decide(this.headers, true)
  }
}

/**
 * The connection could not be made or broke before a response arrived (or mid-body). Retried when it happened
 * before the first byte of the response.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  message: Schema.String,
  beforeFirstByte: Schema.Boolean,
  cause: Schema.optional(Schema.Defect)
}) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return this.beforeFirstByte
  }
}

/**
 * A time limit passed. `phase` says which: `request` (no response headers within the per-attempt timeout, or an
 * HTTP 408), `first-chunk` (headers came but no chunk), `idle` (no chunk for too long mid-stream). Only `request`
 * timeouts before the response started (`afterFirstByte: false`) are retried: after the first byte nothing is.
 *
 * @since 0.1.0
 * @category errors
 */
export class Timeout extends Schema.TaggedError<Timeout>()("Timeout", {
  message: Schema.String,
  phase: Schema.Literal("request", "first-chunk", "idle"),
  /** True when the response had started (headers received) before the time ran out: never retried. */
  afterFirstByte: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  timeoutMs: Schema.Number,
  status: Schema.optional(Schema.Number),
  headers: Schema.optionalWith(Headers, { default: () => ({}) }),
  requestId: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return this.phase === "request" && !this.afterFirstByte && decide(this.headers, true)
  }
}

/**
 * The stream ended without `data: [DONE]`: the answer may be incomplete. `chunks` counts what did arrive.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamTruncated extends Schema.TaggedError<StreamTruncated>()("StreamTruncated", {
  message: Schema.String,
  chunks: Schema.Number,
  requestId: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * An error frame inside a 200 stream (`data: {"error": ...}`, with or without `event: error`).
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamError extends Schema.TaggedError<StreamError>()("StreamError", {
  message: Schema.String,
  code: Schema.optional(Code),
  type: Schema.optional(Schema.String),
  param: Schema.optional(Code),
  body: Schema.optional(Schema.Unknown),
  requestId: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * A body or chunk that is not what the wire schema allows (or not JSON). `excerpt` holds a bounded part of it.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>()("DecodeError", {
  message: Schema.String,
  excerpt: Schema.String,
  requestId: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Every error of the client.
 *
 * @since 0.1.0
 * @category models
 */
export type NexosError =
  | InvalidRequest
  | BadRequest
  | AuthenticationError
  | OutOfCredits
  | PermissionDenied
  | NotFound
  | Conflict
  | UnprocessableEntity
  | RateLimited
  | QuotaExceeded
  | ServerError
  | ConnectionError
  | Timeout
  | StreamTruncated
  | StreamError
  | DecodeError

/**
 * The tags of `NexosError`.
 *
 * @since 0.1.0
 * @category models
 */
export type Tag = NexosError["_tag"]

const tags: ReadonlySet<string> = new Set<Tag>([
  "InvalidRequest",
  "BadRequest",
  "AuthenticationError",
  "OutOfCredits",
  "PermissionDenied",
  "NotFound",
  "Conflict",
  "UnprocessableEntity",
  "RateLimited",
  "QuotaExceeded",
  "ServerError",
  "ConnectionError",
  "Timeout",
  "StreamTruncated",
  "StreamError",
  "DecodeError"
])

/**
 * Whether a value is one of the client's errors.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isNexosError = (u: unknown): u is NexosError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)

/**
 * Whether an error should be retried: `isRetryable` of a `NexosError`, false for anything else.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (u: unknown): boolean => isNexosError(u) && u.isRetryable

/**
 * The HTTP status of an error, when it came from an HTTP response.
 *
 * @since 0.1.0
 * @category accessors
 */
export const status = (error: NexosError): number | undefined => ("status" in error ? error.status : undefined)

/**
 * The error code (string or number) the server gave, if any.
 *
 * @since 0.1.0
 * @category accessors
 */
export const code = (error: NexosError): string | number | undefined => ("code" in error ? error.code : undefined)

/**
 * The request id (`x-request-id`) of the failed call, if known.
 *
 * @since 0.1.0
 * @category accessors
 */
export const requestId = (error: NexosError): string | undefined => "requestId" in error ? error.requestId : undefined

const excerptLimit = 512

/**
 * A bounded excerpt of a text (for `DecodeError`).
 *
 * @since 0.1.0
 * @category utils
 */
export const excerpt = (text: string): string =>
  text.length > excerptLimit ? `${text.slice(0, excerptLimit)}… (${text.length} chars)` : text

/**
 * Parses a retry delay from response headers: `retry-after-ms`, else `Retry-After` as seconds or an HTTP date.
 * Values outside 0..60 s are ignored (undefined), as the reference SDKs do.
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfterMs = (headers: Readonly<Record<string, string>>, now: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  let value: number | undefined
  if (ms !== undefined && ms.trim() !== "" && Number.isFinite(Number(ms))) value = Number(ms)
  else {
    const after = headers["retry-after"]
    if (after !== undefined && after.trim() !== "") {
      const seconds = Number(after)
      if (Number.isFinite(seconds)) value = seconds * 1000
      else {
        const date = Date.parse(after)
        if (Number.isFinite(date)) value = date - now
      }
    }
  }
  return value !== undefined && value >= 0 && value <= 60_000 ? value : undefined
}

/**
 * Everything known about a failed HTTP response.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpFailure {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly bodyText: string
  readonly now: number
  /** Secrets to scrub from anything copied out of the body (the API key). */
  readonly secrets?: ReadonlyArray<string>
}

/**
 * Replaces every occurrence of the given secrets in a text.
 *
 * @since 0.1.0
 * @category utils
 */
export const scrub = (text: string, secrets: ReadonlyArray<string> | undefined): string => {
  if (secrets === undefined) return text
  let out = text
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join("[REDACTED]")
  return out
}

const scrubValue = (value: unknown, secrets: ReadonlyArray<string> | undefined): unknown => {
  if (secrets === undefined || secrets.length === 0) return value
  if (typeof value === "string") return scrub(value, secrets)
  return JSON.parse(scrub(JSON.stringify(value) ?? "null", secrets))
}

const edgeBlock = /error code:\s*1010/i

/**
 * Maps a non-2xx response to its tagged error. The single place where status, body and headers are classified.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromResponse = (failure: HttpFailure): NexosError => {
  const { headers, status } = failure
  const text = scrub(failure.bodyText, failure.secrets)
  const api = ApiError.fromText(text)
  const retryAfter = retryAfterMs(headers, failure.now)
  const requestId = headers["x-request-id"] ?? headers["request-id"]
  const fields = {
    status,
    headers,
    body: scrubValue(api.raw, failure.secrets),
    message: `HTTP ${status}: ${api.message}`,
    ...(api.code === undefined ? {} : { code: api.code }),
    ...(api.type === undefined ? {} : { type: api.type }),
    ...(api.param === undefined ? {} : { param: api.param }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter })
  }
  switch (status) {
    case 400:
      return new BadRequest(fields)
    case 401:
      return new AuthenticationError(fields)
    case 402:
      return new OutOfCredits(fields)
    case 403: {
      const blockedByEdge = edgeBlock.test(text)
      return new PermissionDenied({
        ...fields,
        blockedByEdge,
        message: blockedByEdge
          ? `HTTP 403: the gateway's edge blocked this client (${api.message}); it often blocks default or missing ` +
            `User-Agent headers, so set an explicit userAgent in the client options`
          : fields.message
      })
    }
    case 404:
      return new NotFound(fields)
    case 408:
      return new Timeout({
        message: `HTTP 408: ${api.message}`,
        phase: "request",
        timeoutMs: 0,
        status,
        headers,
        ...(requestId === undefined ? {} : { requestId })
      })
    case 409:
      return new Conflict(fields)
    case 422:
      return new UnprocessableEntity(fields)
    case 429:
      return ApiError.isQuotaExhausted(api) ? new QuotaExceeded(fields) : new RateLimited(fields)
    default:
      return status >= 500 ? new ServerError(fields) : new BadRequest(fields)
  }
}
