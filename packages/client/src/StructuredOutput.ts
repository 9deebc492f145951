/**
 * Typed answers from a chat completion: the request asks for JSON that follows a `StrictSchema`
 * (`response_format: json_schema`, strict; or, for models without JSON Schema support, `json_object` plus an
 * instruction carrying the schema), and the answer of the first choice (index 0) is decoded to the schema's type.
 * When it cannot be, the failure says why, each keeping the raw text: `Refusal` (the model refused), `Truncated`
 * (`finish_reason: length`), `ContentFiltered` (`finish_reason: content_filter`), `OutputMismatch` (not JSON, or
 * not the schema's shape). Streaming gives the value as it grows (`Partial`, unvalidated) and the validated value
 * at the end (`Complete`). The client's `chat.completions.parse` / `parseStream` use these functions; they are
 * transport-free, for completions and chunks from anywhere.
 *
 * @since 0.1.0
 */
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as FinishReason from "@nexos-effect/schema/FinishReason"
import * as Chunk from "effect/Chunk"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as ChatEvent from "./ChatEvent.js"
import { EventState } from "./internal/eventState.js"
import * as PartialJson from "./PartialJson.js"
import * as ResponseMeta from "./ResponseMeta.js"
import * as StrictSchema from "./StrictSchema.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const ErrorTypeId: unique symbol = Symbol.for("@nexos-effect/client/StructuredOutput/Error")

/**
 * @since 0.1.0
 * @category type ids
 */
export type ErrorTypeId = typeof ErrorTypeId

const common = {
  /** The raw answer text of the choice (`""` when there was none). */
  text: Schema.String,
  /** The `finish_reason` the API sent (empty when none came). */
  finishReason: Schema.String,
  completion: Schema.optional(ChatCompletion.ChatCompletion)
}

/**
 * The model refused to answer (`message.refusal`); `refusal` is its explanation.
 *
 * @since 0.1.0
 * @category errors
 */
export class Refusal extends Schema.TaggedError<Refusal>()("Refusal", { ...common, refusal: Schema.String }) {
  /** @since 0.1.0 */
  readonly [ErrorTypeId]: ErrorTypeId = ErrorTypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `The model refused to answer: ${this.refusal}`
  }
}

/**
 * The answer stopped at the token limit (`finish_reason: length`) before its JSON was complete: raise
 * `max_completion_tokens` (or `max_tokens`), or ask for less.
 *
 * @since 0.1.0
 * @category errors
 */
export class Truncated extends Schema.TaggedError<Truncated>()("Truncated", common) {
  /** @since 0.1.0 */
  readonly [ErrorTypeId]: ErrorTypeId = ErrorTypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `The answer was cut off at the token limit (finish_reason "${this.finishReason}") after ${this.text.length} characters`
  }
}

/**
 * A content filter stopped the answer (`finish_reason: content_filter`).
 *
 * @since 0.1.0
 * @category errors
 */
export class ContentFiltered extends Schema.TaggedError<ContentFiltered>()("ContentFiltered", common) {
  /** @since 0.1.0 */
  readonly [ErrorTypeId]: ErrorTypeId = ErrorTypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `A content filter stopped the answer (finish_reason "${this.finishReason}")`
  }
}

/**
 * The answer is not what the schema describes: no text, not JSON, or JSON of another shape. `issues` names each
 * mismatch by its path in the answer's JSON.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutputMismatch extends Schema.TaggedError<OutputMismatch>()("OutputMismatch", {
  ...common,
  reason: Schema.String,
  issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
}) {
  /** @since 0.1.0 */
  readonly [ErrorTypeId]: ErrorTypeId = ErrorTypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `The answer does not fit the schema: ${this.reason}`
  }
}

/**
 * Every way a completion can fail to give the typed value.
 *
 * @since 0.1.0
 * @category errors
 */
export type StructuredError = Refusal | Truncated | ContentFiltered | OutputMismatch

/**
 * Whether a value is one of the `StructuredError`s.
 *
 * @since 0.1.0
 * @category guards
 */
export const isStructuredError = (u: unknown): u is StructuredError => Predicate.hasProperty(u, ErrorTypeId)

/**
 * How the request asks for JSON: `json_schema` (strict; the default) or `json_object` with the schema in an
 * instruction, for models without JSON Schema support.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "json_schema" | "json_object"

/**
 * Options of a structured call (the `StrictSchema` options apply when a plain Schema is given).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends StrictSchema.Options {
  /** Default `json_schema`. */
  readonly mode?: Mode
}

/**
 * A decoded answer and the completion it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Parsed<A> {
  readonly value: A
  readonly completion: ChatCompletion.ChatCompletion
}

/**
 * The answer so far, as its JSON text grows: unvalidated, every part possibly missing or cut short. `text` is the
 * raw text so far. Unchanged subtrees keep their identity from one `Partial` to the next.
 *
 * @since 0.1.0
 * @category models
 */
export interface Partial<I> {
  readonly _tag: "Partial"
  readonly value: StrictSchema.DeepPartial<I>
  readonly text: string
}

/**
 * The validated answer at the end of the stream, with the accumulated completion (usage included).
 *
 * @since 0.1.0
 * @category models
 */
export interface Complete<A> {
  readonly _tag: "Complete"
  readonly value: A
  readonly completion: ChatCompletion.ChatCompletion
}

/**
 * An event of a structured stream: `Partial`s, then one `Complete`.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamEvent<A, I> = Partial<I> | Complete<A>

/**
 * The request that asks for `strict`'s JSON: `response_format` set to the strict `json_schema` (replacing any other
 * format), or, in `json_object` mode, `response_format: json_object` and a system message with the instruction
 * (`StrictSchema.instruction`) appended after the messages, as the nexos Python SDK does.
 *
 * @since 0.1.0
 * @category request
 */
export const prepare = <A, I>(
  request: ChatCompletionRequest.ChatCompletionRequest,
  strict: StrictSchema.StrictSchema<A, I>,
  mode: Mode = "json_schema"
): ChatCompletionRequest.ChatCompletionRequest =>
  mode === "json_object"
    ? {
      ...request,
      messages: [...request.messages, { role: "system", content: StrictSchema.instruction(strict) }],
      response_format: { type: "json_object" }
    }
    : { ...request, response_format: StrictSchema.responseFormat(strict) }

const fence = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n?\s*```\s*$/

const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(text))
  } catch (error) {
    const fenced = fence.exec(text)
    if (fenced !== null) {
      try {
        return Either.right(JSON.parse(fenced[1]))
      } catch {
        // reported below with the original error
      }
    }
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}

const pathOf = (path: ReadonlyArray<PropertyKey>): string => {
  let out = "$"
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(p))
      ? `.${String(p)}`
      : `[${JSON.stringify(String(p))}]`
  }
  return out
}

interface ChoiceView {
  readonly text: string
  readonly refusal: string | undefined
  readonly finishReason: string
}

const decideText = <A, I>(
  strict: StrictSchema.StrictSchema<A, I>,
  view: ChoiceView,
  completion: ChatCompletion.ChatCompletion
): Either.Either<A, StructuredError> => {
  const base = { text: view.text, finishReason: view.finishReason, completion }
  if (view.refusal !== undefined && view.refusal !== "") {
    return Either.left(new Refusal({ ...base, refusal: view.refusal }))
  }
  const reason = view.finishReason === "" ? undefined : FinishReason.normalize(view.finishReason)
  if (reason === "content_filter") return Either.left(new ContentFiltered(base))
  if (reason === "length") return Either.left(new Truncated(base))
  if (view.text.trim() === "") {
    return Either.left(new OutputMismatch({ ...base, reason: "the answer has no text", issues: [] }))
  }
  return Either.match(parseJson(view.text), {
    onLeft: (message) =>
      Either.left(new OutputMismatch({ ...base, reason: `the answer is not JSON (${message})`, issues: [] })),
    onRight: (json) =>
      Either.mapLeft(StrictSchema.decode(strict, json), (error) => {
        const byPath = new Map<string, Array<string>>()
        for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
          const path = pathOf(issue.path)
          const messages = byPath.get(path)
          if (messages === undefined) byPath.set(path, [issue.message])
          else if (!messages.includes(issue.message)) messages.push(issue.message)
        }
        const issues = Array.from(byPath, ([path, messages]) => ({ path, message: messages.join("; ") }))
        const first = issues[0]
        return new OutputMismatch({
          ...base,
          reason: first === undefined
            ? "the answer does not decode"
            : `${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
          issues
        })
      })
  })
}

const firstChoice = (completion: ChatCompletion.ChatCompletion): ChatCompletion.Choice | undefined =>
  completion.choices.find((c) => c.index === 0) ?? completion.choices[0]

/**
 * Decodes the answer of the first choice of a completion (the one with index 0) to `strict`'s type. A refusal wins
 * over everything, then a content filter, then the token limit; only then is the text parsed and decoded. A JSON
 * answer inside a Markdown code fence is accepted.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeCompletion = <A, I>(
  completion: ChatCompletion.ChatCompletion,
  strict: StrictSchema.StrictSchema<A, I>
): Either.Either<Parsed<A>, StructuredError> => {
  const choice = firstChoice(completion)
  const content = choice?.message.content
  const view: ChoiceView = {
    text: typeof content === "string"
      ? content
      : Array.isArray(content)
      ? ChatCompletion.text(completion, choice?.index ?? 0)
      : "",
    refusal: choice?.message.refusal ?? undefined,
    finishReason: choice?.finish_reason ?? ""
  }
  return Either.map(decideText(strict, view, completion), (value) => ({ value, completion }))
}

/**
 * Turns a chunk stream (e.g. `streamChunks` of a request made with `prepare`) into `Partial` events as the answer
 * of choice 0 grows and one `Complete` at the end, or fails with a `StructuredError` there, judged as
 * `decodeCompletion` judges the accumulated completion. A `Partial` follows each text fragment that changes the
 * value, except that the copies of open objects and arrays are kept linear in the text: while a large array or
 * object is open, partials come once enough text arrived to pay for copying it.
 *
 * @since 0.1.0
 * @category streaming
 */
export const fromChunks = <A, I>(strict: StrictSchema.StrictSchema<A, I>) =>
<E, R>(
  chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>
): Stream.Stream<StreamEvent<A, I>, E | StructuredError, R> =>
  Stream.suspend(() => {
    const state = new EventState(true, undefined)
    const parser = PartialJson.make()
    const chatEvents: Array<ChatEvent.ChatEvent> = []
    let text = ""
    let last: unknown = undefined
    let budget = 0
    const events = Stream.mapChunks(chunks, (input) => {
      const out: Array<StreamEvent<A, I>> = []
      state.feedArray(Chunk.toReadonlyArray(input), chatEvents)
      for (let i = 0; i < chatEvents.length; i++) {
        const event = chatEvents[i]
        if (event._tag !== "TextDelta" || event.choice !== 0) continue
        text += event.delta
        parser.push(event.delta)
        budget += event.delta.length
        if (parser.openSize() > 64 + budget) continue
        budget = 0
        const snapshot = parser.snapshot()
        if (snapshot === last || snapshot === undefined) continue
        last = snapshot
        const value = StrictSchema.partial(strict, snapshot)
        if (value !== undefined) out.push({ _tag: "Partial", value, text })
      }
      chatEvents.length = 0
      return Chunk.unsafeFromArray(out)
    })
    const end = Stream.suspend(() => {
      state.end()
      const accumulated = state.completion()
      const completion = state.meta === undefined ? accumulated : ResponseMeta.attach(accumulated, state.meta)
      return Either.match(decodeCompletion(completion, strict), {
        onLeft: (error) => Stream.fail(error),
        onRight: ({ value }) => Stream.succeed<StreamEvent<A, I>>({ _tag: "Complete", value, completion })
      })
    })
    return Stream.concat(events, end)
  })
