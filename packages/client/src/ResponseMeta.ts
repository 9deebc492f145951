/**
 * Response metadata: HTTP status, `x-request-id`, the `x-nexos-*` headers (model id, completion time, cache), the
 * rate-limit headers and every response header. Every path of the client gives it:
 *
 * - `chat.completions.createWithMeta` returns the explicit pair `{ completion, meta }`, which no spread can lose;
 * - the results of `create`, `models.list` and `embeddings.create` carry it under a non-enumerable key, so they
 *   encode, print and compare exactly as the wire body: read it with `ResponseMeta.get`;
 * - a client stream: the `Metadata` event has it as `meta`; the first chunk of `streamChunks` carries it (`get`);
 *   the completion `ChatStream.accumulate` builds from such chunks carries it, and so does the result of
 *   `ChatStream.postProcess`.
 *
 * The key is not enumerable, so a spread (`{ ...completion }`) or any copy drops it: take the pair, or carry it over
 * with `ResponseMeta.copy`.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import { metaKey, unsafeGet } from "./internal/responseMeta.js"

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
  /** Every response header, lower-cased (secret ones redacted). */
  readonly headers: Readonly<Record<string, string>>
}

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
  Object.defineProperty(value, metaKey, { value: meta, enumerable: false, configurable: true })
  return value
}

/**
 * The metadata of a result returned by the client, if it has any.
 *
 * @since 0.1.0
 * @category accessors
 */
export const get = (value: object): Option.Option<ResponseMeta> => Option.fromNullable(unsafeGet(value))

/**
 * Carries the metadata of `from` (if any) over to `to` and returns `to`: use it when you build a new result from
 * one the client returned (`ResponseMeta.copy(completion, { ...completion, choices })`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const copy = <A extends object>(from: object, to: A): A => {
  const meta = unsafeGet(from)
  return meta === undefined ? to : attach(to, meta)
}
