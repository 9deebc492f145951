/**
 * The user model list of `GET /v1/models`: the models enabled for the calling key. Use `nexos_model_id` to address
 * a model unambiguously; display names may collide.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * Per-token or per-second prices, as decimal strings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Pricing = wireStruct({
  input_cost_per_token: opt(Schema.String),
  output_cost_per_token: opt(Schema.String),
  input_cost_per_second: opt(Schema.String),
  output_cost_per_second: opt(Schema.String),
  cache_read_cost_per_token: opt(Schema.String)
})

/**
 * A model enabled for the caller.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UserModel = wireStruct({
  id: Schema.String,
  nexos_model_id: opt(Schema.String),
  object: withDefault(Schema.String, () => "model"),
  created: withDefault(Schema.Number, () => 0),
  updated: opt(Schema.Number),
  owned_by: opt(Schema.String),
  name: opt(Schema.String),
  timeout_ms: opt(Schema.Number),
  stream_timeout_ms: opt(Schema.Number),
  max_tokens: opt(Schema.Number),
  context_length: opt(Schema.Number),
  pricing: opt(Pricing),
  endpoints: opt(Schema.Array(Schema.String)),
  region: opt(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface UserModel extends Schema.Schema.Type<typeof UserModel> {}

/**
 * The list envelope `{ object: "list", data, total? }`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModelList = wireStruct({
  object: withDefault(Schema.String, () => "list"),
  data: Schema.Array(UserModel),
  total: opt(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ModelList extends Schema.Schema.Type<typeof ModelList> {}
