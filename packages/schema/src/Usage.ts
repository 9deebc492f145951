/**
 * Token usage and nexos credit cost reported for a completion, on non-streaming responses and on the
 * usage chunk of a stream. Details objects use the plural `*_tokens_details` names of the API.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * Breakdown of completion tokens.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CompletionTokensDetails = wireStruct({
  accepted_prediction_tokens: opt(Schema.Number),
  audio_tokens: opt(Schema.Number),
  reasoning_tokens: opt(Schema.Number),
  rejected_prediction_tokens: opt(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CompletionTokensDetails extends Schema.Schema.Type<typeof CompletionTokensDetails> {}

/**
 * Breakdown of prompt tokens.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PromptTokensDetails = wireStruct({
  audio_tokens: opt(Schema.Number),
  cached_tokens: opt(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface PromptTokensDetails extends Schema.Schema.Type<typeof PromptTokensDetails> {}

/**
 * Usage statistics. Token counts default to 0 when a provider omits them; their arithmetic is never checked.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Usage = wireStruct({
  prompt_tokens: withDefault(Schema.Number, () => 0),
  completion_tokens: withDefault(Schema.Number, () => 0),
  total_tokens: withDefault(Schema.Number, () => 0),
  nexos_credits_cost: opt(Schema.Number),
  completion_tokens_details: opt(CompletionTokensDetails),
  prompt_tokens_details: opt(PromptTokensDetails)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Usage extends Schema.Schema.Type<typeof Usage> {}
