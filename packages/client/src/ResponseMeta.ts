/**
 * Response metadata carried on results: HTTP status, `x-request-id`, the `x-nexos-*` headers (model id, completion
 * time, cache), the rate-limit headers and every response header. It rides on a result as a non-enumerable
 * property, so results encode and print exactly as the wire body; read it with `ResponseMeta.get`.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseMeta {
  readonly status: number
  readonly requestId?: string
  readonly nexosModelId?: string
  readonly completionTimeMs?: number
  readonly cache?: string
  /** The `x-ratelimit-*` / `x-rate-limit-*` headers. */
  readonly rateLimit: Readonly<Record<string, string>>
  /** Every response header, lower-cased. */
  readonly headers: Readonly<Record<string, string>>
}

const key: unique symbol = Symbol.for("@nexos-effect/client/ResponseMeta")

/**
 * Reads the metadata from response headers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromHeaders = (status: number, headers: Readonly<Record<string, string>>): ResponseMeta => {
  const rateLimit: Record<string, string> = {}
  for (const name in headers) {
    if (name.startsWith("x-ratelimit-") || name.startsWith("x-rate-limit-")) rateLimit[name] = headers[name]!
  }
  const requestId = headers["x-request-id"]
  const nexosModelId = headers["x-nexos-model-id"]
  const completionTime = Number(headers["x-nexos-completion-time-ms"])
  const cache = headers["x-nexos-cache"]
  return {
    status,
    headers,
    rateLimit,
    ...(requestId === undefined ? {} : { requestId }),
    ...(nexosModelId === undefined ? {} : { nexosModelId }),
    ...(Number.isFinite(completionTime) && headers["x-nexos-completion-time-ms"] !== undefined
      ? { completionTimeMs: completionTime }
      : {}),
    ...(cache === undefined ? {} : { cache })
  }
}

/**
 * Attaches metadata to a result object (non-enumerable) and returns the same object.
 *
 * @since 0.1.0
 * @category constructors
 */
export const attach = <A extends object>(value: A, meta: ResponseMeta): A => {
  Object.defineProperty(value, key, { value: meta, enumerable: false, configurable: true })
  return value
}

/**
 * The metadata of a result returned by the client, if it has any.
 *
 * @since 0.1.0
 * @category accessors
 */
export const get = (value: object): Option.Option<ResponseMeta> =>
  Option.fromNullable((value as { [key]?: ResponseMeta })[key])
