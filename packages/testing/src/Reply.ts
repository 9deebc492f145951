/**
 * Scripted replies for the mock gateway's `POST /v1/chat/completions`. A `Generate` reply describes a completion
 * (text, reasoning, tool calls, citations, usage) and is rendered the way the request asks for it: JSON or SSE, `n`
 * choices, `include_usage`. `Json` and `Sse` replies are served exactly as given, for example bodies or SSE bytes
 * recorded from a real gateway. Queue replies with `gateway.enqueue`, pass them as `MockGateway.layer({ script })`,
 * or send one with a request in the `x-mock-reply` header.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { asciiJson } from "./internal/hash.js"

const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
const Headers = Schema.Record({ key: Schema.String, value: Schema.String })
const Count = Schema.Int.pipe(Schema.nonNegative())

/**
 * A tool call to make. `arguments` is JSON text, or any value (it is serialised); `id` defaults to a generated one.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolCall = Schema.Struct({
  name: Schema.String,
  arguments: opt(Schema.Unknown),
  id: opt(Schema.String)
}).annotations({ parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolCall extends Schema.Schema.Type<typeof ToolCall> {}

/**
 * A `url_citation` to attach. Without `start`/`end` it covers the first occurrence of `title` in the text, or all of
 * it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Citation = Schema.Struct({
  url: Schema.String,
  title: opt(Schema.String),
  start: opt(Count),
  end: opt(Count)
}).annotations({ parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface Citation extends Schema.Schema.Type<typeof Citation> {}

/**
 * A completion rendered for the request. Its parts combine in one answer: the text (`text`, or `tokens`
 * deterministic filler tokens), `reasoning`, `refusal`, `toolCalls` and `citations` are all sent when given (in a
 * stream: reasoning, text, refusal, tool calls, then the citations). Unset parts are generated as usual (so `{}` is
 * the default answer), except that no text is generated beside scripted tool calls or a refusal; `citations` without
 * `text` annotate the generated text. `usage` fields are merged over the computed usage. Unknown fields are rejected
 * (a typo never drops a part silently).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Generate = Schema.TaggedStruct("Generate", {
  text: opt(Schema.String),
  tokens: opt(Count),
  reasoning: opt(Schema.String),
  refusal: opt(Schema.String),
  toolCalls: opt(Schema.Array(ToolCall)),
  citations: opt(Schema.Array(Citation)),
  finishReason: opt(Schema.String),
  usage: opt(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  headers: opt(Headers)
}).annotations({ parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface Generate extends Schema.Schema.Type<typeof Generate> {}

/**
 * A JSON body served as is (status 200 unless given).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Json = Schema.TaggedStruct("Json", {
  status: opt(Schema.Int),
  headers: opt(Headers),
  body: Schema.Unknown
}).annotations({ parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface Json extends Schema.Schema.Type<typeof Json> {}

/**
 * SSE bytes served as is (`text/event-stream`), event by event so stream faults still apply.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Sse = Schema.TaggedStruct("Sse", {
  status: opt(Schema.Int),
  headers: opt(Headers),
  body: Schema.Union(Schema.String, Schema.Uint8ArrayFromSelf)
}).annotations({ parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface Sse extends Schema.Schema.Type<typeof Sse> {}

/**
 * Any scripted reply.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Reply = Schema.Union(Generate, Json, Sse)

/**
 * @since 0.1.0
 * @category models
 */
export type Reply = Generate | Json | Sse

/**
 * The request header that carries a reply for that request, as JSON.
 *
 * @since 0.1.0
 * @category headers
 */
export const headerName = "x-mock-reply"

/**
 * Request headers that ask the gateway to answer this request with `reply`.
 *
 * @since 0.1.0
 * @category headers
 */
export const header = (reply: Reply): Record<string, string> => ({
  [headerName]: asciiJson(
    reply._tag === "Sse" && typeof reply.body !== "string"
      ? { ...reply, body: new TextDecoder().decode(reply.body) }
      : reply
  )
})

/**
 * Decodes a reply from unknown JSON.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknownEither = Schema.decodeUnknownEither(Reply, { errors: "all" })

/**
 * A completion; every part is optional, and the parts given all go out in the same answer.
 *
 * @example
 * ```ts
 * import { Reply } from "@nexos-effect/testing"
 *
 * const reply = Reply.completion({
 *   text: "Checking the forecast.",
 *   toolCalls: [{ name: "get_weather", arguments: { city: "Vilnius" } }],
 *   citations: [{ url: "https://example.com/forecast", title: "forecast" }]
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const completion = (fields: Omit<Generate, "_tag"> = {}): Generate => ({ _tag: "Generate", ...fields })

/**
 * Answer with `text` (streamed in token-sized deltas).
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (text: string, fields: Omit<Generate, "_tag" | "text"> = {}): Generate =>
  completion({ ...fields, text })

/**
 * Answer with `count` deterministic filler tokens (one delta each when streaming).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokens = (count: number, fields: Omit<Generate, "_tag" | "tokens"> = {}): Generate =>
  completion({ ...fields, tokens: count })

/**
 * Call one tool with `args` (a value, serialised to JSON, or JSON text).
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolCall = (name: string, args: unknown = {}): Generate =>
  completion({ toolCalls: [{ name, arguments: args }] })

/**
 * Call several tools in one turn.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolCalls = (calls: ReadonlyArray<ToolCall>): Generate => completion({ toolCalls: calls })

/**
 * A JSON body, served as is.
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (
  body: unknown,
  options?: { readonly status?: number; readonly headers?: Record<string, string> }
): Json => ({ _tag: "Json", body, ...options })

/**
 * An error response with the gateway's `{"error": {...}}` body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const error = (
  status: number,
  error: {
    readonly message: string
    readonly type?: string
    readonly code?: string | number | null
    readonly param?: string | null
  },
  headers?: Record<string, string>
): Json =>
  json({ error: { type: null, param: null, code: null, ...error } }, {
    status,
    ...(headers === undefined ? {} : { headers })
  })

/**
 * SSE served as is: raw bytes or text (for example a recording), or a list of data payloads (objects are serialised,
 * strings sent as they are) followed by `data: [DONE]` unless `done` is false.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sse = (
  body: string | Uint8Array | ReadonlyArray<unknown>,
  options?: { readonly status?: number; readonly headers?: Record<string, string>; readonly done?: boolean }
): Sse => {
  const { done, ...rest } = options ?? {}
  const text = typeof body === "string" || body instanceof Uint8Array
    ? body
    : body.map((item) => `data: ${typeof item === "string" ? item : JSON.stringify(item)}\n\n`).join("") +
      (done === false ? "" : "data: [DONE]\n\n")
  return { _tag: "Sse", body: text, ...rest }
}
