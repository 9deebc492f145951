/**
 * The non-streaming chat completion response, field for field as the nexos Python SDK's
 * `ChatCompletionsResponse` (the seed) names it, decoded leniently: null and absent mean the same, unknown vendor
 * fields are kept through decode and encode.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Annotation from "./Annotation.js"
import * as ContentPart from "./ContentPart.js"
import { opt, wireStruct, withDefault } from "./internal/wire.js"
import * as Logprobs from "./Logprobs.js"
import * as ToolCall from "./ToolCall.js"
import * as Usage from "./Usage.js"

/**
 * Audio output of a message, present when audio was requested.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageAudio = wireStruct({
  id: opt(Schema.String),
  expires_at: opt(Schema.Number),
  data: opt(Schema.String),
  transcript: opt(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageAudio extends Schema.Schema.Type<typeof MessageAudio> {}

/**
 * The assistant message of a choice. `content` is usually a string; some providers send an array of parts.
 * `reasoning_content` / `reasoning` carry reasoning text where providers send it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Message = wireStruct({
  role: withDefault(Schema.String, () => "assistant"),
  content: opt(ContentPart.Content),
  refusal: opt(Schema.String),
  tool_calls: opt(Schema.Array(ToolCall.ToolCall)),
  function_call: opt(ToolCall.FunctionCall),
  audio: opt(MessageAudio),
  annotations: opt(Schema.Array(Annotation.Annotation)),
  reasoning_content: opt(Schema.String),
  reasoning: opt(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Message extends Schema.Schema.Type<typeof Message> {}

/**
 * One choice. `finish_reason` keeps the raw wire value (see `FinishReason.normalize`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Choice = wireStruct({
  index: withDefault(Schema.Number, () => 0),
  finish_reason: opt(Schema.String),
  message: withDefault(Message, () => ({ role: "assistant" })),
  logprobs: opt(Logprobs.Logprobs)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Choice extends Schema.Schema.Type<typeof Choice> {}

/**
 * The chat completion response (`object: "chat.completion"`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletion = wireStruct({
  id: withDefault(Schema.String, () => ""),
  object: withDefault(Schema.String, () => "chat.completion"),
  created: withDefault(Schema.Number, () => 0),
  model: withDefault(Schema.String, () => ""),
  choices: withDefault(Schema.Array(Choice), () => []),
  usage: opt(Usage.Usage),
  system_fingerprint: opt(Schema.String),
  service_tier: opt(Schema.String)
}).annotations({ identifier: "ChatCompletion" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletion extends Schema.Schema.Type<typeof ChatCompletion> {}

/**
 * The seed's `tool_calls` accessor: every choice's tool calls, in choice order (`[]` when there are none).
 *
 * @example
 * ```ts
 * import { ChatCompletion } from "@nexos-effect/schema"
 * import { Schema } from "effect"
 *
 * const completion = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)({
 *   id: "c1", created: 0, model: "m",
 *   choices: [{ index: 0, message: { role: "assistant", tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] } }]
 * })
 * ChatCompletion.toolCalls(completion).map((call) => call.function.name) // ["f"]
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const toolCalls = (completion: ChatCompletion): ReadonlyArray<ToolCall.ToolCall> =>
  completion.choices.flatMap((choice) => choice.message.tool_calls ?? [])

/**
 * The answer text of a choice (string content, or the concatenated text parts).
 *
 * @since 0.1.0
 * @category accessors
 */
export const text = (completion: ChatCompletion, choice = 0): string =>
  ContentPart.text(completion.choices.find((c) => c.index === choice)?.message.content)

/**
 * The reasoning text of a choice, from `reasoning_content`, `reasoning` or thinking parts.
 *
 * @since 0.1.0
 * @category accessors
 */
export const reasoning = (completion: ChatCompletion, choice = 0): string => {
  const message = completion.choices.find((c) => c.index === choice)?.message
  if (message === undefined) return ""
  return message.reasoning_content || message.reasoning || ContentPart.reasoning(message.content)
}

/**
 * Decodes an unknown value (parsed JSON) as a `ChatCompletion`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknown = Schema.decodeUnknown(ChatCompletion)
