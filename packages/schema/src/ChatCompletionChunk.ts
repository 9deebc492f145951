/**
 * One streamed chunk (`object: "chat.completion.chunk"`), decoded leniently: `choices` may be empty or absent,
 * tool-call deltas may lack `index`, `id` or `type`, usage may ride on any chunk, and vendor fields are kept.
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
 * The function fragment of a tool-call delta. `arguments` sent as an object (a whole call in one chunk) is kept as
 * its JSON text, as in a complete `ToolCall`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FunctionDelta = wireStruct({
  name: opt(Schema.String),
  arguments: opt(ToolCall.ArgumentsText)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface FunctionDelta extends Schema.Schema.Type<typeof FunctionDelta> {}

/**
 * A tool-call fragment. `index` is the merge key; when it is missing it is inferred from the position.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolCallDelta = wireStruct({
  index: opt(Schema.Number),
  id: opt(Schema.String),
  type: opt(Schema.String),
  function: opt(FunctionDelta)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolCallDelta extends Schema.Schema.Type<typeof ToolCallDelta> {}

/**
 * The delta of a streamed choice.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Delta = wireStruct({
  role: opt(Schema.String),
  content: opt(ContentPart.Content),
  refusal: opt(Schema.String),
  tool_calls: opt(Schema.Array(ToolCallDelta)),
  function_call: opt(FunctionDelta),
  annotations: opt(Schema.Array(Annotation.Annotation)),
  reasoning_content: opt(Schema.String),
  reasoning: opt(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Delta extends Schema.Schema.Type<typeof Delta> {}

/**
 * A streamed choice. `finish_reason` keeps the raw wire value.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChunkChoice = wireStruct({
  index: withDefault(Schema.Number, () => 0),
  delta: withDefault(Delta, () => ({})),
  finish_reason: opt(Schema.String),
  logprobs: opt(Logprobs.Logprobs)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ChunkChoice extends Schema.Schema.Type<typeof ChunkChoice> {}

/**
 * The streamed chunk.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionChunk = wireStruct({
  id: withDefault(Schema.String, () => ""),
  object: withDefault(Schema.String, () => "chat.completion.chunk"),
  created: withDefault(Schema.Number, () => 0),
  model: withDefault(Schema.String, () => ""),
  choices: withDefault(Schema.Array(ChunkChoice), () => []),
  usage: opt(Usage.Usage),
  system_fingerprint: opt(Schema.String),
  service_tier: opt(Schema.String)
}).annotations({ identifier: "ChatCompletionChunk" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletionChunk extends Schema.Schema.Type<typeof ChatCompletionChunk> {}
