/**
 * Every way a call can fail, as one tagged union of `Schema.TaggedError` classes (serialisable, `catchTag`-able).
 * Each error carries what a caller needs to act: status, code, message, request id, response headers and
 * `isRetryable`, the single classification the retry policy itself uses. Every class shares one set of members
 * (`isRetryable`, `retryAfter` and the `TypeId` that `isNexosError` checks). HTTP failures are mapped in one place,
 * `fromResponse`, from status, body and headers, also a 2xx response whose body is an error. Bodies and headers
 * copied into errors are bounded, and messages never contain the API key.
 *
 * @since 0.1.0
 */
import * as ApiError from "@nexos-effect/schema/ApiError"
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Bounded from "./internal/bounded.js"

/**
 * The type id every `NexosError` carries; `isNexosError` checks it.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@nexos-effect/client/NexosError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The members every `NexosError` has.
 *
 * @since 0.1.0
 * @category models
 */
export interface Shared {
  readonly [TypeId]: TypeId
  /** Whether the default retry policy retries this error (`x-should-retry` from the server decides first). */
  readonly isRetryable: boolean
  /** The server's retry delay (`retry-after-ms` / `Retry-After`, within 0..60 s), when it gave one. */
  readonly retryAfter: Duration.Duration | undefined
}

type Ctor = new(...args: Array<any>) => { readonly _tag: string }

const shared = <C extends Ctor>(Base: C, rule: (self: InstanceType<C>) => boolean) => {
  class SharedError extends Base implements Shared {
    /** @since 0.1.0 */
    get [TypeId](): TypeId {
      return TypeId
    }
    /** @since 0.1.0 */
    get isRetryable(): boolean {
      return rule(this as unknown as InstanceType<C>)
    }
    /** @since 0.1.0 */
    get retryAfter(): Duration.Duration | undefined {
      const ms = (this as { readonly retryAfterMs?: unknown }).retryAfterMs
      return typeof ms === "number" ? Duration.millis(ms) : undefined
    }
  }
  return SharedError
}

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

const shouldRetry = (headers: Readonly<Record<string, string>> | undefined): boolean | undefined => {
  const value = headers?.["x-should-retry"]
  return value === "true" ? true : value === "false" ? false : undefined
}

const byHeader = (byDefault: boolean) => (self: { readonly headers: Readonly<Record<string, string>> }): boolean =>
  shouldRetry(self.headers) ?? byDefault

const never = (): boolean => false

/**
 * 5xx statuses that say the request can never succeed as sent: not retried.
 *
 * @since 0.1.0
 * @category constants
 */
export const permanentServerStatuses: ReadonlySet<number> = new Set([501, 505, 506, 508, 510, 511])

/**
 * The request was rejected before any byte was sent: it does not fit the API's rules. `issues` names each field.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequest extends shared(
  Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
    message: Schema.String,
    issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
  }),
  never
) {}

/**
 * HTTP 400 (and any other 4xx without a tag of its own): the API rejected the request.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends shared(Schema.TaggedError<BadRequest>()("BadRequest", httpFields), byHeader(false)) {}

/**
 * HTTP 401: the API key is missing, wrong or revoked.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends shared(
  Schema.TaggedError<AuthenticationError>()("AuthenticationError", httpFields),
  byHeader(false)
) {}

/**
 * HTTP 402: API use needs a paid plan and purchased API credits.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutOfCredits extends shared(
  Schema.TaggedError<OutOfCredits>()("OutOfCredits", httpFields),
  byHeader(false)
) {}

/**
 * HTTP 403. `blockedByEdge` is true when the gateway's edge refused the client (`error code: 1010`), which usually
 * means its User-Agent is blocked: set an explicit `userAgent`.
 *
 * @since 0.1.0
 * @category errors
 */
export class PermissionDenied extends shared(
  Schema.TaggedError<PermissionDenied>()("PermissionDenied", { ...httpFields, blockedByEdge: Schema.Boolean }),
  byHeader(false)
) {}

/**
 * HTTP 404, including a model that is not enabled for the key (nexos code 100110).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends shared(Schema.TaggedError<NotFound>()("NotFound", httpFields), byHeader(false)) {}

/**
 * HTTP 409: a conflicting request; retried by default.
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends shared(Schema.TaggedError<Conflict>()("Conflict", httpFields), byHeader(true)) {}

/**
 * HTTP 422: the request was well-formed but could not be processed.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnprocessableEntity extends shared(
  Schema.TaggedError<UnprocessableEntity>()("UnprocessableEntity", httpFields),
  byHeader(false)
) {}

/**
 * HTTP 429: too many requests; retried after `retryAfter` when the server gave one.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends shared(
  Schema.TaggedError<RateLimited>()("RateLimited", httpFields),
  byHeader(true)
) {}

/**
 * HTTP 429 whose error says the quota is exhausted (`insufficient_quota`): waiting will not help, never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class QuotaExceeded extends shared(Schema.TaggedError<QuotaExceeded>()("QuotaExceeded", httpFields), never) {}

/**
 * HTTP 5xx: the gateway or the upstream provider failed; retried by default, except the statuses that say the
 * request can never succeed (`permanentServerStatuses`: 501 Not Implemented, 505, 506, 508, 510, 511). Also a 2xx
 * response whose body is an error that names no other class.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends shared(
  Schema.TaggedError<ServerError>()("ServerError", httpFields),
  (self) => shouldRetry(self.headers) ?? !permanentServerStatuses.has(self.status)
) {}

/**
 * A status the API never answers with: a redirect (3xx) that reached the client, a 1xx, or a code outside
 * 100..599. A redirect is not followed, because that would send the API key and the body to another address; it
 * almost always means a wrong `baseUrl` (`http://` instead of `https://`, a missing `/v1`) or a proxy in the way.
 * `location` is the redirect target. Not retried (a redirect answers the same way every time).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedStatus extends shared(
  Schema.TaggedError<UnexpectedStatus>()("UnexpectedStatus", {
    ...httpFields,
    location: Schema.optional(Schema.String)
  }),
  byHeader(false)
) {}

/**
 * The connection could not be made or broke before a response arrived (or mid-body). Retried when it happened
 * before the first byte of the response.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends shared(
  Schema.TaggedError<ConnectionError>()("ConnectionError", {
    message: Schema.String,
    beforeFirstByte: Schema.Boolean,
    cause: Schema.optional(Schema.Defect)
  }),
  (self) => self.beforeFirstByte
) {}

/**
 * Which time limit ran out: `request` (the per-attempt timeout, or an HTTP 408), `first-chunk` (the response
 * headers came but no data event), `idle` (no bytes for too long mid-stream), `deadline` (the whole call, with its
 * retries and its stream, took longer than its `deadline`).
 *
 * @since 0.1.0
 * @category models
 */
export type TimeoutPhase = "request" | "first-chunk" | "idle" | "deadline"

/**
 * A time limit passed; `phase` says which. `afterFirstByte` says whether the response had started (its headers
 * had arrived) and `bodyBytes`, on streams, how many bytes of the body had arrived (keep-alives included). Only
 * `request` timeouts before the response started are retried: after the first byte nothing is, and a `deadline`
 * ends the call with its retries.
 *
 * @since 0.1.0
 * @category errors
 */
export class Timeout extends shared(
  Schema.TaggedError<Timeout>()("Timeout", {
    message: Schema.String,
    phase: Schema.Literal("request", "first-chunk", "idle", "deadline"),
    /** True when the response had started (headers received) before the time ran out: never retried. */
    afterFirstByte: Schema.optionalWith(Schema.Boolean, { default: () => false }),
    /** Streams: the bytes of the body that had arrived when the time ran out. */
    bodyBytes: Schema.optional(Schema.Number),
    timeoutMs: Schema.Number,
    status: Schema.optional(Schema.Number),
    headers: Schema.optionalWith(Headers, { default: () => ({}) }),
    requestId: Schema.optional(Schema.String)
  }),
  (self) => self.phase === "request" && !self.afterFirstByte && (shouldRetry(self.headers) ?? true)
) {}

/**
 * The stream ended without `data: [DONE]`: the answer may be incomplete. `chunks` counts what did arrive.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamTruncated extends shared(
  Schema.TaggedError<StreamTruncated>()("StreamTruncated", {
    message: Schema.String,
    chunks: Schema.Number,
    requestId: Schema.optional(Schema.String)
  }),
  never
) {}

/**
 * An error frame inside a 200 stream (`data: {"error": ...}`, with or without `event: error`). `body` is the
 * frame, bounded like every body copied into an error.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamError extends shared(
  Schema.TaggedError<StreamError>()("StreamError", {
    message: Schema.String,
    code: Schema.optional(Code),
    type: Schema.optional(Schema.String),
    param: Schema.optional(Code),
    body: Schema.optional(Schema.Unknown),
    requestId: Schema.optional(Schema.String)
  }),
  never
) {}

/**
 * A body or chunk that is not what the wire schema allows (or not JSON). `excerpt` holds a bounded part of it.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeError extends shared(
  Schema.TaggedError<DecodeError>()("DecodeError", {
    message: Schema.String,
    excerpt: Schema.String,
    requestId: Schema.optional(Schema.String)
  }),
  never
) {}

/**
 * The gateway does not offer an operation (it answered 404 or 405 to an endpoint outside its spec, such as listing
 * or cancelling batches). `operation` names it, e.g. `POST /v1/batches/{id}/cancel`.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unsupported extends shared(
  Schema.TaggedError<Unsupported>()("Unsupported", {
    message: Schema.String,
    operation: Schema.String,
    status: Schema.Number,
    requestId: Schema.optional(Schema.String),
    headers: Schema.optionalWith(Headers, { default: () => ({}) })
  }),
  never
) {}

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
  | UnexpectedStatus
  | ConnectionError
  | Timeout
  | StreamTruncated
  | StreamError
  | DecodeError
  | Unsupported

/**
 * The schema of every error of the client (the union of the classes), to store or send errors and decode them back
 * into the classes.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NexosError = Schema.Union(
  InvalidRequest,
  BadRequest,
  AuthenticationError,
  OutOfCredits,
  PermissionDenied,
  NotFound,
  Conflict,
  UnprocessableEntity,
  RateLimited,
  QuotaExceeded,
  ServerError,
  UnexpectedStatus,
  ConnectionError,
  Timeout,
  StreamTruncated,
  StreamError,
  DecodeError,
  Unsupported
)

/**
 * The errors `fromResponse` maps a response to.
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseError =
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
  | UnexpectedStatus
  | Timeout

/**
 * The tags of `NexosError`.
 *
 * @since 0.1.0
 * @category models
 */
export type Tag = NexosError["_tag"]

/**
 * Whether a value is one of the client's errors: an instance of one of the classes above (checked by `TypeId`, so
 * a plain object with a matching `_tag` is not one).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isNexosError = (u: unknown): u is NexosError => Predicate.hasProperty(u, TypeId)

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

/**
 * A bounded excerpt of a text (for `DecodeError`): at most 512 characters, then a mark with the full length.
 *
 * @since 0.1.0
 * @category utils
 */
export const excerpt = (text: string): string => Bounded.excerpt(text, Bounded.excerptChars)

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

const edgeBlock = /error code:\s*1010/i

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const httpStatus = (u: unknown): number | undefined => {
  const n = typeof u === "number" ? u : typeof u === "string" && /^\d{3}$/.test(u.trim()) ? Number(u) : NaN
  return Number.isInteger(n) && n >= 400 && n <= 599 ? n : undefined
}

const normalName = (name: string): string => name.toLowerCase().replace(/[^a-z]/g, "")

const statusNames: ReadonlyArray<readonly [number, string]> = [
  [
    400,
    "invalid_request_error invalid_request invalid_argument bad_request BadRequestError invalid_value invalid_json"
  ],
  [400, "missing_required_parameter context_length_exceeded validation_error failed_precondition content_filter"],
  [401, "authentication_error AuthenticationError invalid_api_key unauthenticated unauthorized"],
  [402, "insufficient_credits out_of_credits payment_required"],
  [403, "permission_error permission_denied PermissionDeniedError forbidden"],
  [404, "not_found_error not_found NotFoundError model_not_found"],
  [408, "timeout_error timeout request_timeout deadline_exceeded"],
  [409, "conflict_error conflict ConflictError aborted"],
  [413, "request_too_large"],
  [422, "unprocessable_entity UnprocessableEntityError"],
  [429, "rate_limit_error RateLimitError rate_limit_exceeded rate_limited too_many_requests resource_exhausted"],
  [429, "insufficient_quota"],
  [500, "server_error api_error APIError internal_error internal internal_server_error InternalServerError"],
  [500, "upstream_error provider_error"],
  [501, "unimplemented not_implemented"],
  [502, "bad_gateway"],
  [503, "overloaded_error overloaded service_unavailable ServiceUnavailableError unavailable"],
  [504, "gateway_timeout"]
]

const statusByName: ReadonlyMap<string, number> = new Map(
  statusNames.flatMap(([status, names]) => names.split(" ").map((name) => [normalName(name), status] as const))
)

const nexosCodes: ReadonlyMap<number, number> = new Map([[100110, 404], [110014, 403]])

const errorObject = (raw: unknown): Record<string, unknown> | undefined => {
  const body = Array.isArray(raw) ? raw[0] : raw
  if (!isRecord(body)) return undefined
  return isRecord(body.error) ? body.error : isRecord(body.detail) ? body.detail : body
}

/**
 * The HTTP status an error body describes (for a 2xx response that carries an error): a numeric code in 400..599,
 * a `status` / `status_code` / `statusCode` field, a known nexos code, or a known `code` / `type` name (OpenAI,
 * Anthropic, Google and gateway spellings).
 */
const describedStatus = (api: ApiError.ApiError): number | undefined => {
  const inner = errorObject(api.raw)
  const outer = Array.isArray(api.raw) ? api.raw[0] : api.raw
  for (const candidate of [api.code, inner?.status, inner?.status_code, inner?.statusCode]) {
    const status = httpStatus(candidate)
    if (status !== undefined) return status
  }
  if (typeof api.code === "number" && nexosCodes.has(api.code)) return nexosCodes.get(api.code)
  for (const name of [api.code, api.type]) {
    if (typeof name === "string") {
      const status = statusByName.get(normalName(name))
      if (status !== undefined) return status
    }
  }
  if (isRecord(outer)) {
    for (const candidate of [outer.status, outer.status_code, outer.statusCode]) {
      const status = httpStatus(candidate)
      if (status !== undefined) return status
    }
  }
  return undefined
}

/**
 * Maps a response to its tagged error, from status, body and headers. The single place where responses are
 * classified:
 *
 * - 4xx / 5xx by status (400 `BadRequest`, 401, 402, 403, 404, 408 `Timeout`, 409, 422, 429 `RateLimited` or
 *   `QuotaExceeded`, other 4xx `BadRequest`, 5xx `ServerError`);
 * - a 2xx whose body is an error (see `ApiError.isErrorBody`): the class of the status the body describes (its
 *   numeric code, a status field, or a known code or type name such as `rate_limit_error` or `model_not_found`),
 *   else `ServerError`; `status` stays the real one (200);
 * - 3xx, 1xx and anything outside 100..599: `UnexpectedStatus`.
 *
 * The body's message, code, type and param are kept; the body and the headers are bounded (an excerpt of a large
 * body, at most 64 headers of at most 1 KiB each).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromResponse = (failure: HttpFailure): ResponseError => {
  const status = failure.status
  const headers = Bounded.headers(failure.headers)
  const text = scrub(failure.bodyText, failure.secrets)
  const api = ApiError.fromText(text)
  const retryAfter = retryAfterMs(failure.headers, failure.now)
  const requestId = failure.headers["x-request-id"] ?? failure.headers["request-id"]
  const success = status >= 200 && status < 300
  const fields = {
    status,
    headers,
    body: Bounded.body(api.raw, text),
    message: success ? `HTTP ${status} with an error body: ${api.message}` : `HTTP ${status}: ${api.message}`,
    ...(api.code === undefined ? {} : { code: api.code }),
    ...(api.type === undefined ? {} : { type: api.type }),
    ...(api.param === undefined ? {} : { param: api.param }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter })
  }
  const effective = success ? (describedStatus(api) ?? 500) : status
  if (effective < 200 || effective >= 600 || (effective >= 300 && effective < 400)) {
    const location = failure.headers["location"]
    return new UnexpectedStatus({
      ...fields,
      ...(location === undefined ? {} : { location: Bounded.excerpt(location, 1024) }),
      message: effective >= 300 && effective < 400
        ? `HTTP ${status}: the gateway redirected the request${
          location === undefined ? "" : ` to ${Bounded.excerpt(location, 256)}`
        }; redirects are not followed (they would send the API key and the body elsewhere): check baseUrl ` +
          `(https://, the /v1 path) and any proxy in between`
        : `HTTP ${status}: a status the API never answers with (${api.message})`
    })
  }
  switch (effective) {
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
        message: fields.message,
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
      return effective >= 500 ? new ServerError(fields) : new BadRequest(fields)
  }
}
