/**
 * The user model list of `GET /v1/models`: the models enabled for the calling key. Use `nexos_model_id` to address
 * a model unambiguously; display names may collide (`resolve` finds a name's id and says when it is ambiguous).
 * `pricing` and `timeouts` read a model's prices and gateway time limits.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
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

/**
 * The id to send as a request's `model` to address a model unambiguously: its `nexos_model_id`, else its `id`.
 *
 * @since 0.1.0
 * @category utils
 */
export const modelId = (model: UserModel): string => model.nexos_model_id ?? model.id

/**
 * No enabled model has this name or id. `available` lists the display names (or ids) that are enabled.
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelNotFound extends Schema.TaggedError<ModelNotFound>()("ModelNotFound", {
  model: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const shown = this.available.slice(0, 20).join(", ")
    return `No enabled model is named ${JSON.stringify(this.model)}; enabled: ${shown}${
      this.available.length > 20 ? `, … (${this.available.length} in all)` : ""
    }`
  }
}

/**
 * A display name matches more than one enabled model (two variants of the same model may be enabled). Choose one by
 * its `nexos_model_id` from `candidates`.
 *
 * @since 0.1.0
 * @category errors
 */
export class AmbiguousModel extends Schema.TaggedError<AmbiguousModel>()("AmbiguousModel", {
  model: Schema.String,
  candidates: Schema.Array(Schema.Struct({
    nexos_model_id: Schema.String,
    id: Schema.String,
    name: Schema.optional(Schema.String),
    owned_by: Schema.optional(Schema.String),
    region: Schema.optional(Schema.String)
  }))
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const list = this.candidates.map((c) =>
      `${c.nexos_model_id} (${[c.name ?? c.id, c.owned_by, c.region].filter((x) => x !== undefined).join(", ")})`
    )
    return `The model name ${JSON.stringify(this.model)} matches ${this.candidates.length} enabled models: ${
      list.join("; ")
    }; send one of these nexos_model_ids instead`
  }
}

const unique = (models: ReadonlyArray<UserModel>): ReadonlyArray<UserModel> => {
  const seen = new Set<string>()
  return models.filter((m) => {
    const id = modelId(m)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/**
 * Finds the model a name or id stands for among the enabled ones: by `nexos_model_id`, then `id`, then display
 * `name`, then the same ignoring case. A name that matches several models is `AmbiguousModel` (with the
 * candidates), none is `ModelNotFound`.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolve = (
  models: ModelList | ReadonlyArray<UserModel>,
  model: string
): Either.Either<UserModel, ModelNotFound | AmbiguousModel> => {
  const all = "data" in models ? (models as ModelList).data : (models as ReadonlyArray<UserModel>)
  const lower = model.toLowerCase()
  const rules: ReadonlyArray<(m: UserModel) => boolean> = [
    (m) => m.nexos_model_id === model,
    (m) => m.id === model,
    (m) => m.name === model,
    (m) => m.id.toLowerCase() === lower || m.name?.toLowerCase() === lower
  ]
  for (const rule of rules) {
    const found = unique(all.filter(rule))
    if (found.length === 1) return Either.right(found[0]!)
    if (found.length > 1) {
      return Either.left(
        new AmbiguousModel({
          model,
          candidates: found.map((m) => ({
            nexos_model_id: modelId(m),
            id: m.id,
            ...(m.name === undefined ? {} : { name: m.name }),
            ...(m.owned_by === undefined ? {} : { owned_by: m.owned_by }),
            ...(m.region === undefined ? {} : { region: m.region })
          }))
        })
      )
    }
  }
  return Either.left(new ModelNotFound({ model, available: all.map((m) => m.name ?? m.id) }))
}

/**
 * A model's prices as numbers (the API sends decimal strings); a price that is missing or not a number is absent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Prices {
  readonly inputPerToken?: number
  readonly outputPerToken?: number
  readonly inputPerSecond?: number
  readonly outputPerSecond?: number
  readonly cacheReadPerToken?: number
}

const price = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

/**
 * A model's prices.
 *
 * @since 0.1.0
 * @category utils
 */
export const pricing = (model: UserModel): Prices => {
  const p = model.pricing ?? {}
  const entries: ReadonlyArray<readonly [keyof Prices, number | undefined]> = [
    ["inputPerToken", price(p.input_cost_per_token)],
    ["outputPerToken", price(p.output_cost_per_token)],
    ["inputPerSecond", price(p.input_cost_per_second)],
    ["outputPerSecond", price(p.output_cost_per_second)],
    ["cacheReadPerToken", price(p.cache_read_cost_per_token)]
  ]
  const out: Record<string, number> = {}
  for (const [key, value] of entries) if (value !== undefined) out[key] = value
  return out
}

/**
 * A model's gateway-side time limits: `timeout` for a whole request (`timeout_ms`), `streamTimeout` for a stream
 * (`stream_timeout_ms`). Good bounds for the client's own timeouts.
 *
 * @since 0.1.0
 * @category utils
 */
export const timeouts = (
  model: UserModel
): { readonly timeout: Duration.Duration | undefined; readonly streamTimeout: Duration.Duration | undefined } => ({
  timeout: model.timeout_ms === undefined ? undefined : Duration.millis(model.timeout_ms),
  streamTimeout: model.stream_timeout_ms === undefined ? undefined : Duration.millis(model.stream_timeout_ms)
})
