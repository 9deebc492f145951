/**
 * Log probability information for a choice: per-token log probabilities of the content and of a refusal.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * One of the most likely tokens at a position.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TopLogprob = wireStruct({
  token: withDefault(Schema.String, () => ""),
  logprob: withDefault(Schema.Number, () => 0),
  bytes: opt(Schema.Array(Schema.Number))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface TopLogprob extends Schema.Schema.Type<typeof TopLogprob> {}

/**
 * A token with its log probability and the most likely alternatives.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenLogprob = wireStruct({
  token: withDefault(Schema.String, () => ""),
  logprob: withDefault(Schema.Number, () => 0),
  bytes: opt(Schema.Array(Schema.Number)),
  top_logprobs: opt(Schema.Array(TopLogprob))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenLogprob extends Schema.Schema.Type<typeof TokenLogprob> {}

/**
 * The `logprobs` object of a choice.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Logprobs = wireStruct({
  content: opt(Schema.Array(TokenLogprob)),
  refusal: opt(Schema.Array(TokenLogprob))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Logprobs extends Schema.Schema.Type<typeof Logprobs> {}
