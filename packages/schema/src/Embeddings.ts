/**
 * `POST /v1/embeddings`: the request (validated strictly) and the OpenAI-shaped response.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { field, opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * The embeddings request. `input` is a string, strings, tokens or token lists; `dimensions` is optional.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EmbeddingsRequest = Schema.Struct({
  model: Schema.String.pipe(Schema.filter((s) => s.length > 0, { message: () => "must not be empty" })),
  input: Schema.Union(
    Schema.String,
    Schema.Array(Schema.String),
    Schema.Array(Schema.Number),
    Schema.Array(Schema.Array(Schema.Number))
  ),
  encoding_format: field(Schema.Literal("float", "base64")),
  dimensions: field(
    Schema.Number.pipe(
      Schema.filter((n) => Number.isInteger(n) && n >= 1, {
        message: (i) => `must be an integer >= 1, got ${i.actual}`
      })
    )
  )
}).annotations({ identifier: "EmbeddingsRequest", parseOptions: { onExcessProperty: "error" } })

/**
 * @since 0.1.0
 * @category models
 */
export interface EmbeddingsRequest extends Schema.Schema.Type<typeof EmbeddingsRequest> {}

/**
 * One embedding: a float vector, or a base64 string with `encoding_format: "base64"`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Embedding = wireStruct({
  object: withDefault(Schema.String, () => "embedding"),
  index: withDefault(Schema.Number, () => 0),
  embedding: Schema.Union(Schema.Array(Schema.Number), Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Embedding extends Schema.Schema.Type<typeof Embedding> {}

/**
 * The embeddings response.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EmbeddingsResponse = wireStruct({
  object: withDefault(Schema.String, () => "list"),
  data: Schema.Array(Embedding),
  model: withDefault(Schema.String, () => ""),
  usage: opt(wireStruct({
    prompt_tokens: withDefault(Schema.Number, () => 0),
    total_tokens: withDefault(Schema.Number, () => 0),
    nexos_credits_cost: opt(Schema.Number)
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface EmbeddingsResponse extends Schema.Schema.Type<typeof EmbeddingsResponse> {}
