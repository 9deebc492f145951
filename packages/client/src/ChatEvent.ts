/**
 * The domain events of a streamed chat completion, one small union tagged by `_tag` (use `Match.tag`,
 * `Match.valueTags` or `ChatEvent.$is`). Events are plain immutable objects: `ChatStream.events` creates several per
 * chunk, so they carry no prototype and no structural `Equal` (compare them with a deep equality). Every per-choice
 * event carries its `choice` index; with `n > 1` the choices interleave. Order guarantees, per stream: `Metadata`
 * first (once); for each tool call `ToolCallStart` before its `ToolCallDelta`s and those before its `ToolCall`;
 * `Finish` (per choice) and `Usage` (once) last. See `ChatStream.events` for when each event fires.
 *
 * @since 0.1.0
 */
import type * as FinishReason from "@nexos-effect/schema/FinishReason"
import type * as Usage_ from "@nexos-effect/schema/Usage"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as ResponseMeta from "./ResponseMeta.js"

/**
 * The response metadata, emitted once before any other event: the first non-empty `id`, `model`, `created`,
 * `system_fingerprint` and `service_tier` of the chunks seen up to then. On a client stream `meta` holds the
 * response's `ResponseMeta` (status, request id, `x-nexos-*` and rate-limit headers) and `headers` its headers;
 * `ChatStream.events` on other chunks puts the headers passed in its options there.
 *
 * @since 0.1.0
 * @category models
 */
export interface Metadata {
  readonly _tag: "Metadata"
  readonly id: string
  readonly model: string
  readonly created: number
  readonly systemFingerprint?: string
  readonly serviceTier?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly meta?: ResponseMeta.ResponseMeta
}

/**
 * A fragment of the answer text of a choice (never empty).
 *
 * @since 0.1.0
 * @category models
 */
export interface TextDelta {
  readonly _tag: "TextDelta"
  readonly choice: number
  readonly delta: string
}

/**
 * A fragment of reasoning text (`reasoning_content`, `reasoning` or thinking content parts; never empty).
 *
 * @since 0.1.0
 * @category models
 */
export interface ReasoningDelta {
  readonly _tag: "ReasoningDelta"
  readonly choice: number
  readonly delta: string
}

/**
 * A fragment of a refusal (never empty).
 *
 * @since 0.1.0
 * @category models
 */
export interface RefusalDelta {
  readonly _tag: "RefusalDelta"
  readonly choice: number
  readonly delta: string
}

/**
 * A tool call began. `index` identifies the call within its choice: its index on the wire (inferred when the
 * provider omits it), or the next free one when a provider reuses an index for another call. Fires once
 * per call, as soon as its name is known or right before its first `ToolCallDelta` / its `ToolCall`, whichever
 * comes first; `id` and `name` are what was known then (`ToolCall` has the final values).
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCallStart {
  readonly _tag: "ToolCallStart"
  readonly choice: number
  readonly index: number
  readonly id: string
  readonly name: string
}

/**
 * A fragment of a tool call's arguments (JSON text; never empty).
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCallDelta {
  readonly _tag: "ToolCallDelta"
  readonly choice: number
  readonly index: number
  readonly delta: string
}

/**
 * The arguments of a tool call are not valid JSON. The stream goes on; `arguments` holds the raw text.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolArgumentsError extends Schema.TaggedError<ToolArgumentsError>()("ToolArgumentsError", {
  message: Schema.String,
  name: Schema.String,
  arguments: Schema.String
}) {}

/**
 * A complete tool call. `arguments` is the raw JSON text as the model wrote it; `parsed` is the decoded JSON value,
 * or a `ToolArgumentsError` when the text is not JSON (an empty text parses as `{}`: providers send `""` for calls
 * without arguments). Validate `parsed` against the tool's schema before executing anything.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolCall {
  readonly _tag: "ToolCall"
  readonly choice: number
  readonly index: number
  readonly id: string
  readonly name: string
  readonly arguments: string
  readonly parsed: Either.Either<unknown, ToolArgumentsError>
}

/**
 * A URL citation from a `url_citation` annotation (deduplicated per choice). `startIndex` / `endIndex` point into
 * the choice's accumulated text.
 *
 * @since 0.1.0
 * @category models
 */
export interface Citation {
  readonly _tag: "Citation"
  readonly choice: number
  readonly url: string
  readonly title?: string
  readonly startIndex?: number
  readonly endIndex?: number
}

/**
 * The token usage of the whole request: the last non-null `usage` of the stream, emitted once at its end.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  readonly _tag: "Usage"
  readonly usage: Usage_.Usage
}

/**
 * A choice finished. `reason` is normalised (`stop | length | tool_calls | content_filter | function_call |
 * unknown`), `rawReason` is the last non-null, non-empty `finish_reason` the wire sent for the choice.
 *
 * @since 0.1.0
 * @category models
 */
export interface Finish {
  readonly _tag: "Finish"
  readonly choice: number
  readonly reason: FinishReason.FinishReason
  readonly rawReason: string
}

/**
 * Every event of a streamed chat completion.
 *
 * @since 0.1.0
 * @category models
 */
export type ChatEvent =
  | Metadata
  | TextDelta
  | ReasoningDelta
  | RefusalDelta
  | ToolCallStart
  | ToolCallDelta
  | ToolCall
  | Citation
  | Usage
  | Finish

/**
 * The tags of `ChatEvent`.
 *
 * @since 0.1.0
 * @category models
 */
export type Tag = ChatEvent["_tag"]

/**
 * The events that belong to one choice (they carry `choice`).
 *
 * @since 0.1.0
 * @category models
 */
export type ChoiceEvent = Exclude<ChatEvent, Metadata | Usage>

type Fields<A> = Omit<A, "_tag">

/**
 * Builds a `Metadata` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Metadata = (fields: Fields<Metadata>): Metadata => ({ _tag: "Metadata", ...fields })

/**
 * Builds a `TextDelta` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const TextDelta = (fields: Fields<TextDelta>): TextDelta => ({ _tag: "TextDelta", ...fields })

/**
 * Builds a `ReasoningDelta` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ReasoningDelta = (fields: Fields<ReasoningDelta>): ReasoningDelta => ({
  _tag: "ReasoningDelta",
  ...fields
})

/**
 * Builds a `RefusalDelta` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const RefusalDelta = (fields: Fields<RefusalDelta>): RefusalDelta => ({ _tag: "RefusalDelta", ...fields })

/**
 * Builds a `ToolCallStart` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ToolCallStart = (fields: Fields<ToolCallStart>): ToolCallStart => ({ _tag: "ToolCallStart", ...fields })

/**
 * Builds a `ToolCallDelta` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ToolCallDelta = (fields: Fields<ToolCallDelta>): ToolCallDelta => ({ _tag: "ToolCallDelta", ...fields })

/**
 * Builds a complete `ToolCall` from its raw arguments (`parsed` is computed with `parseArguments`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const ToolCall = (fields: Omit<Fields<ToolCall>, "parsed">): ToolCall => ({
  _tag: "ToolCall",
  ...fields,
  parsed: parseArguments(fields.arguments, fields.name)
})

/**
 * Builds a `Citation` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Citation = (fields: Fields<Citation>): Citation => ({ _tag: "Citation", ...fields })

/**
 * Builds a `Usage` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Usage = (fields: Fields<Usage>): Usage => ({ _tag: "Usage", ...fields })

/**
 * Builds a `Finish` event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Finish = (fields: Fields<Finish>): Finish => ({ _tag: "Finish", ...fields })

const emptyArguments = /^\s*$/

/**
 * Parses tool-call arguments: the JSON value, `{}` for an empty (or blank) text, or a `ToolArgumentsError`.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseArguments = (text: string, name = ""): Either.Either<unknown, ToolArgumentsError> => {
  if (emptyArguments.test(text)) return Either.right({})
  try {
    return Either.right(JSON.parse(text))
  } catch (e) {
    return Either.left(
      new ToolArgumentsError({
        message: `the arguments of tool call ${JSON.stringify(name)} are not valid JSON: ${
          e instanceof Error ? e.message : String(e)
        }`,
        name,
        arguments: text
      })
    )
  }
}

const tags: ReadonlySet<string> = new Set<Tag>([
  "Metadata",
  "TextDelta",
  "ReasoningDelta",
  "RefusalDelta",
  "ToolCallStart",
  "ToolCallDelta",
  "ToolCall",
  "Citation",
  "Usage",
  "Finish"
])

/**
 * Whether a value is a `ChatEvent`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isChatEvent = (u: unknown): u is ChatEvent =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && tags.has(u._tag)

/**
 * A refinement for one tag: `Stream.filter(ChatEvent.$is("TextDelta"))`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const $is = <T extends Tag>(tag: T) => (event: ChatEvent): event is Extract<ChatEvent, { readonly _tag: T }> =>
  event._tag === tag
