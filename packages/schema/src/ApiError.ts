/**
 * Error bodies as gateways and upstream providers really send them, normalised to one shape: `message`, `type`,
 * `code` (string or number), `param`, and the raw body. Reads `{"error":{...}}`, `{"error":"..."}`, a bare
 * `{message, code}` (also `object: "error"`), `{"detail": ...}` (object, string or validation list), a JSON array of
 * any of these, and plain text.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt } from "./internal/wire.js"

/**
 * The normalised error body.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApiErrorBody = Schema.Struct({
  message: Schema.String,
  type: opt(Schema.String),
  code: opt(Schema.Union(Schema.String, Schema.Number)),
  param: opt(Schema.Union(Schema.String, Schema.Number)),
  raw: Schema.Unknown
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ApiError extends Schema.Schema.Type<typeof ApiErrorBody> {}

const maxText = 2_000

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const scalar = (u: unknown): string | number | undefined =>
  typeof u === "string" || (typeof u === "number" && Number.isFinite(u)) ? u : undefined

const clip = (s: string): string => (s.length > maxText ? `${s.slice(0, maxText)}…` : s)

const describeDetailList = (list: ReadonlyArray<unknown>): string =>
  list.map((item) =>
    isRecord(item)
      ? [Array.isArray(item.loc) ? item.loc.join(".") : undefined, item.msg ?? item.message].filter((x) =>
        x !== undefined
      ).join(": ")
      : String(item)
  ).join("; ")

const fromObject = (inner: Record<string, unknown>, raw: unknown): ApiError => {
  const message = typeof inner.message === "string"
    ? inner.message
    : typeof inner.msg === "string"
    ? inner.msg
    : typeof inner.error === "string"
    ? inner.error
    : typeof inner.detail === "string"
    ? inner.detail
    : JSON.stringify(inner)
  const type = typeof inner.type === "string" ? inner.type : typeof inner.status === "string" ? inner.status : undefined
  const code = scalar(inner.code)
  const param = scalar(inner.param)
  return {
    message: clip(message),
    raw,
    ...(type === undefined ? {} : { type }),
    ...(code === undefined ? {} : { code }),
    ...(param === undefined ? {} : { param })
  }
}

const normalise = (body: unknown, raw: unknown): ApiError => {
  if (typeof body === "string") return { message: clip(body.trim() || "(empty error body)"), raw }
  if (Array.isArray(body)) {
    return body.length > 0 ? normalise(body[0], raw) : { message: "(empty error list)", raw }
  }
  if (!isRecord(body)) return { message: body === undefined || body === null ? "(no error body)" : String(body), raw }
  if (isRecord(body.error)) return fromObject(body.error, raw)
  if (typeof body.error === "string") return fromObject({ ...body, message: body.error, error: undefined }, raw)
  if (isRecord(body.detail)) return fromObject(body.detail, raw)
  if (typeof body.detail === "string") return { message: clip(body.detail), raw }
  if (Array.isArray(body.detail)) return { message: clip(describeDetailList(body.detail)), raw }
  return fromObject(body, raw)
}

const isErrorObject = (u: unknown): boolean => {
  if (!isRecord(u)) return false
  if ((u.error !== undefined && u.error !== null) || u.object === "error" || u.type === "error") return true
  if (u.choices !== undefined || u.data !== undefined) return false
  return (u.detail !== undefined && u.detail !== null) || typeof u.message === "string" || typeof u.msg === "string"
}

/**
 * Whether a parsed JSON body is an error rather than a result, for a response whose status says success: a
 * non-null `error`, `object` or `type` equal to `"error"`, or, in a body without `choices` or `data`, a `detail`
 * or a string `message` / `msg`; or a JSON array whose first element is one of these.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isErrorBody = (body: unknown): boolean =>
  Array.isArray(body) ? body.length > 0 && isErrorObject(body[0]) : isErrorObject(body)

/**
 * Normalises a parsed error body (any of the variants above).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBody = (body: unknown): ApiError => normalise(body, body)

/**
 * Normalises an error body given as text: JSON when it parses, otherwise the text itself (for example the edge's
 * `error code: 1010`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromText = (text: string): ApiError => {
  const trimmed = text.trim()
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return fromBody(JSON.parse(trimmed))
    } catch {
      return { message: clip(trimmed), raw: text }
    }
  }
  return { message: clip(trimmed || "(empty error body)"), raw: text }
}

/**
 * A schema from any error body (parsed JSON or text) to the normalised `ApiError`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApiError = Schema.transform(Schema.Unknown, Schema.typeSchema(ApiErrorBody), {
  strict: true,
  decode: (body) => (typeof body === "string" ? fromText(body) : fromBody(body)),
  encode: (error) => error.raw
})

/**
 * Whether the error says the account's quota is exhausted (a 429 that must not be retried).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isQuotaExhausted = (error: ApiError): boolean =>
  error.code === "insufficient_quota" || error.type === "insufficient_quota"
