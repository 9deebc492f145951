/**
 * API keys: the caller's keys (`/v1/user/api_keys`), a team's keys (`/v1/teams/{teamId}/api_keys`) and the rotation
 * of the calling key (`PATCH /v1/apikey/rotate`). Key values decode to `Redacted`, so they never print. The spec
 * leaves the envelopes of single-key answers undefined: a key and `{ data: key }` both decode.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { boundedString, DateTime, strictStruct, Uuid } from "./internal/strict.js"
import { field, opt, wireStruct, withDefault } from "./internal/wire.js"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const unwrapData = Schema.transform(Schema.Unknown, Schema.Unknown, {
  strict: true,
  decode: (u) => (isRecord(u) && !("id" in u) && !("api_key" in u) && "data" in u ? u.data : u),
  encode: (u) => u
})

/**
 * An API key. `api_key` is the key value (shown in full only when a key is created, regenerated or rotated),
 * decoded to `Redacted`: read it with `Redacted.value`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApiKey = wireStruct({
  id: Schema.String,
  api_key: opt(Schema.Redacted(Schema.String)),
  name: withDefault(Schema.String, () => ""),
  enabled: opt(Schema.Boolean),
  removed: opt(Schema.Boolean),
  created_at: opt(Schema.String),
  updated_at: opt(Schema.String),
  last_used_at: opt(Schema.String),
  expiration_date: opt(Schema.String)
}).annotations({ identifier: "ApiKey" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ApiKey extends Schema.Schema.Type<typeof ApiKey> {}

/**
 * A single-key answer: the key, or the key under `data`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApiKeyResponse = Schema.compose(unwrapData, ApiKey, { strict: false })

/**
 * A list of keys: an array, or an array under `data`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApiKeyList = Schema.compose(unwrapData, Schema.Array(ApiKey), { strict: false })

/**
 * The answer of `PATCH /v1/apikey/rotate`: the new value of the calling key (as `api_key`, `key` or a key object,
 * possibly under `data`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RotatedKey = Schema.compose(
  unwrapData,
  Schema.transform(
    wireStruct({ api_key: opt(Schema.String), key: opt(Schema.String), id: opt(Schema.String) }).pipe(
      Schema.filter((r) => (r.api_key ?? r.key ?? "") !== "" || "the answer carries no key value (api_key or key)")
    ),
    wireStruct({ api_key: Schema.Redacted(Schema.String), id: opt(Schema.String) }),
    {
      strict: false,
      decode: ({ key, ...rest }) => ({ ...rest, api_key: rest.api_key ?? key ?? "" }),
      encode: (rotated) => rotated
    }
  ),
  { strict: false }
).annotations({ identifier: "RotatedKey" })

/**
 * @since 0.1.0
 * @category models
 */
export type RotatedKey = Schema.Schema.Type<typeof RotatedKey>

/**
 * The body of a key creation: a name (1 to 255 characters, unique) and an optional expiration.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateApiKeyRequest = strictStruct({
  name: boundedString(1, 255),
  expiration_date: field(Schema.NullOr(DateTime))
}, "CreateApiKeyRequest")

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateApiKeyRequest extends Schema.Schema.Type<typeof CreateApiKeyRequest> {}

/**
 * The body of a key update: the name (required by the spec), whether it is enabled, and its expiration (`null`
 * removes it).
 *
 * @since 0.1.0
 * @category schemas
 */
export const UpdateApiKeyRequest = strictStruct({
  name: boundedString(1, 255),
  enabled: field(Schema.Boolean),
  expiration_date: field(Schema.NullOr(DateTime))
}, "UpdateApiKeyRequest")

/**
 * @since 0.1.0
 * @category models
 */
export interface UpdateApiKeyRequest extends Schema.Schema.Type<typeof UpdateApiKeyRequest> {}

/**
 * The body of a bulk update: 1 to 100 keys by id, each renamed, enabled or disabled, given an expiration, or
 * removed (`remove: true`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const BulkUpdateRequest = strictStruct({
  items: Schema.Array(strictStruct({
    id: Uuid,
    name: field(boundedString(1, 255)),
    enabled: field(Schema.Boolean),
    expiration_date: field(Schema.NullOr(DateTime)),
    remove: field(Schema.Boolean)
  })).pipe(Schema.filter((items) => (items.length >= 1 && items.length <= 100) || "must have 1 to 100 items"))
}, "BulkUpdateApiKeysRequest")

/**
 * @since 0.1.0
 * @category models
 */
export interface BulkUpdateRequest extends Schema.Schema.Type<typeof BulkUpdateRequest> {}
