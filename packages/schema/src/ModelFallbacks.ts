/**
 * `/v1/management/models/{model}/fallbacks`: the models the gateway falls back to, in order, when a model fails
 * (used by chat completions sent with `?fallbacks=true`). `{model}` and the fallbacks are `nexos_model_id`s (UUIDs):
 * the gateway answers 404 to a display name.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { strictStruct, Uuid } from "./internal/strict.js"
import { opt, wireStruct } from "./internal/wire.js"

/**
 * The body of a create or update: the fallback models, by `nexos_model_id`, in order.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FallbacksRequest = strictStruct({ models: Schema.Array(Uuid) }, "ModelFallbacksRequest")

/**
 * @since 0.1.0
 * @category models
 */
export interface FallbacksRequest extends Schema.Schema.Type<typeof FallbacksRequest> {}

/**
 * A model's fallback configuration.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Fallbacks = wireStruct({
  id: Schema.String,
  fallback_ids: opt(Schema.Array(Schema.String)),
  created_at: opt(Schema.String),
  updated_at: opt(Schema.String)
}).annotations({ identifier: "ModelFallbacks" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Fallbacks extends Schema.Schema.Type<typeof Fallbacks> {}

/**
 * Whether a text is a UUID (a `nexos_model_id`), as the fallbacks endpoints need.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isModelId = Schema.is(Uuid)
