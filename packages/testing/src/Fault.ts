/**
 * Fault injection for the mock gateway. A `Fault` is plain JSON data, so the same value can be set for a scenario
 * (`MockGateway.layer({ fault })`, `gateway.setFault`, `gateway.queueFaults`) or sent with one request in the
 * `x-mock-fault` header. It can answer with any status, body and headers (`Retry-After`, `retry-after-ms`,
 * `x-should-retry`), wait before the headers, drip, stall or drop a stream after K events, inject an error frame or a
 * malformed chunk, leave out `[DONE]`, and apply only to the first N attempts ("fail twice, then succeed").
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { asciiJson } from "./internal/hash.js"

const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
const Count = Schema.Int.pipe(Schema.nonNegative())
const Millis = Schema.Number.pipe(Schema.nonNegative())

/**
 * An error frame inside a 200 stream: `data: {"error": error}` after `after` events (default 1), preceded by
 * `event: error` when `event` is true, and followed by `data: [DONE]` only when `done` is true.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorFrame = Schema.Struct({
  after: opt(Count),
  error: opt(Schema.Unknown),
  event: opt(Schema.Boolean),
  done: opt(Schema.Boolean)
}).annotations({ identifier: "ErrorFrame", parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface ErrorFrame extends Schema.Schema.Type<typeof ErrorFrame> {}

/**
 * SSE keep-alives instead of an answer: after `after` events (default 0) the stream sends only the comment
 * `: ping`, the first at once and then every `everyMs`, until the client leaves or `maxStallMs` passes (then the
 * gateway closes the socket). The response headers go out at once, also when `after` is 0.
 *
 * @since 0.1.0
 * @category schemas
 */
export const KeepAlive = Schema.Struct({
  after: opt(Count),
  everyMs: Schema.Number.pipe(Schema.positive())
}).annotations({ identifier: "KeepAlive", parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface KeepAlive extends Schema.Schema.Type<typeof KeepAlive> {}

/**
 * What to do to one request. Every field is optional and they combine:
 *
 * - `status`, `body`, `headers`: answer with this status and body (a string is sent as text, anything else as JSON;
 *   without `body` the gateway's error body for the status). `headers` are also added to successful responses.
 * - `delayMs`: wait before sending the headers. `dripMs`: wait between stream events.
 * - `stallAfter`: send K events, then stop writing and keep the socket open (until the client gives up, the gateway
 *   closes, or `maxStallMs` passes). `dropAfter`: send K events, then close the socket. For JSON bodies K counts
 *   bytes; K = 0 stalls or drops before the headers.
 * - `errorFrame`: an error frame in the stream. `malformedAfter`: a data event that is not JSON after K events.
 *   `noDone`: end the stream without `data: [DONE]`. `keepAlive`: after K events only `: ping` comments (streams).
 * - `times`: apply to the first N matching requests only, then let requests through.
 * - `path`: apply only to requests whose path is this (`"/v1/chat/completions"`).
 * - `key`: the attempt counter for `times` in a header fault (default: the header value, method, path and body).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Fault = Schema.Struct({
  status: opt(Schema.Int.pipe(Schema.between(100, 599))),
  body: opt(Schema.Unknown),
  headers: opt(Schema.Record({ key: Schema.String, value: Schema.String })),
  delayMs: opt(Millis),
  dripMs: opt(Millis),
  stallAfter: opt(Count),
  dropAfter: opt(Count),
  errorFrame: opt(ErrorFrame),
  malformedAfter: opt(Count),
  noDone: opt(Schema.Boolean),
  keepAlive: opt(KeepAlive),
  times: opt(Schema.Int.pipe(Schema.positive())),
  path: opt(Schema.String),
  key: opt(Schema.String)
}).annotations({ identifier: "Fault", parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface Fault extends Schema.Schema.Type<typeof Fault> {}

/**
 * The request header that carries a fault for that request, as JSON.
 *
 * @since 0.1.0
 * @category headers
 */
export const headerName = "x-mock-fault"

/**
 * Request headers that ask the gateway to apply `fault` to this request: spread them into a request's headers.
 *
 * @since 0.1.0
 * @category headers
 */
export const header = (fault: Fault): Record<string, string> => ({ [headerName]: asciiJson(fault) })

/**
 * Decodes a fault from unknown JSON (the header value parsed, or options read from a file).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknownEither = Schema.decodeUnknownEither(Fault, { errors: "all" })

/**
 * Answer with `status`, an optional body (default: the gateway's error body for the status) and headers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const status = (
  status: number,
  options?: { readonly body?: unknown; readonly headers?: Record<string, string> }
): Fault => ({
  status,
  ...(options?.body === undefined ? {} : { body: options.body }),
  ...(options?.headers === undefined ? {} : { headers: options.headers })
})

/**
 * A 429 with `Retry-After` (seconds) and/or `retry-after-ms`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rateLimited = (
  options?: { readonly retryAfter?: number; readonly retryAfterMs?: number; readonly body?: unknown }
): Fault =>
  status(429, {
    ...(options?.body === undefined ? {} : { body: options.body }),
    headers: {
      ...(options?.retryAfter === undefined ? {} : { "retry-after": String(options.retryAfter) }),
      ...(options?.retryAfterMs === undefined ? {} : { "retry-after-ms": String(options.retryAfterMs) })
    }
  })

/**
 * Wait `ms` before sending the headers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const delay = (ms: number): Fault => ({ delayMs: ms })

/**
 * Wait `ms` between stream events.
 *
 * @since 0.1.0
 * @category constructors
 */
export const drip = (ms: number): Fault => ({ dripMs: ms })

/**
 * Send `after` events, then stop writing but keep the socket open.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stall = (after: number): Fault => ({ stallAfter: after })

/**
 * Send `after` events, then close the connection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const drop = (after: number): Fault => ({ dropAfter: after })

/**
 * An error frame inside the 200 stream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const errorFrame = (options?: ErrorFrame): Fault => ({ errorFrame: options ?? {} })

/**
 * A data event that is not JSON after `after` events.
 *
 * @since 0.1.0
 * @category constructors
 */
export const malformed = (after: number): Fault => ({ malformedAfter: after })

/**
 * Send `after` events (default 0), then only the SSE comment `: ping` every `everyMs` (the first at once) and never
 * an answer: a stream that looks alive but says nothing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const keepAlive = (everyMs: number, after?: number): Fault => ({
  keepAlive: after === undefined ? { everyMs } : { everyMs, after }
})

/**
 * End the stream without `data: [DONE]`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const noDone: Fault = { noDone: true }

/**
 * Apply `fault` to the first `n` attempts only; later attempts succeed.
 *
 * @example
 * ```ts
 * import { Fault, MockGateway } from "@nexos-effect/testing"
 *
 * // two 503s, then the answer: a client with two retries succeeds, one with one retry fails
 * const gateway = MockGateway.layer({ fault: Fault.failFirst(2, Fault.status(503)) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const failFirst = (n: number, fault: Fault): Fault => ({ ...fault, times: n })

/**
 * Merges faults; later fields win and headers are merged.
 *
 * @since 0.1.0
 * @category combinators
 */
export const combine = (...faults: ReadonlyArray<Fault>): Fault =>
  faults.reduce<Fault>((acc, f) => ({
    ...acc,
    ...f,
    ...(acc.headers !== undefined || f.headers !== undefined ? { headers: { ...acc.headers, ...f.headers } } : {})
  }), {})
