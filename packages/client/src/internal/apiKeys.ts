import * as ApiKeys from "@nexos-effect/schema/ApiKeys"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as NexosClient from "../NexosClient.js"
import type * as NexosError from "../NexosError.js"
import * as Endpoint from "./endpoint.js"
import * as Transport from "./transport.js"

/** The key operations of one owner: the caller (`user`) or a team. */
export interface KeysService {
  readonly list: (
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ReadonlyArray<ApiKeys.ApiKey>, NexosError.NexosError>
  /** Creates a key; its value (`api_key`, `Redacted`) is shown only in this answer. */
  readonly create: (
    request: ApiKeys.CreateApiKeyRequest,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ApiKeys.ApiKey, NexosError.NexosError>
  /** Renames, enables or disables, sets the expiration of, or removes up to 100 keys at once. */
  readonly bulkUpdate: (
    request: ApiKeys.BulkUpdateRequest,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ReadonlyArray<ApiKeys.ApiKey>, NexosError.NexosError>
  readonly update: (
    keyId: string,
    request: ApiKeys.UpdateApiKeyRequest,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ApiKeys.ApiKey, NexosError.NexosError>
  readonly delete: (keyId: string, options?: NexosClient.RequestOptions) => Effect.Effect<void, NexosError.NexosError>
  /** A new value for a key (deprecated by the gateway in favour of `rotate` for the calling key). */
  readonly regenerate: (
    keyId: string,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ApiKeys.ApiKey, NexosError.NexosError>
}

/** `/v1/user/api_keys`, `/v1/teams/{teamId}/api_keys` and `/v1/apikey/rotate`. */
export interface Service {
  readonly user: KeysService
  readonly team: (teamId: string) => KeysService
  /** Rotates the key this client calls with and returns its new value. The client keeps sending the old one: build
   * a new client (layer) with the new key for further calls. */
  readonly rotate: (options?: NexosClient.RequestOptions) => Effect.Effect<ApiKeys.RotatedKey, NexosError.NexosError>
}

const validateCreate = Endpoint.validator(ApiKeys.CreateApiKeyRequest, "API key")
const validateUpdate = Endpoint.validator(ApiKeys.UpdateApiKeyRequest, "API key update")
const validateBulk = Endpoint.validator(ApiKeys.BulkUpdateRequest, "API key bulk update")

export const make = (ctx: Endpoint.Context): Service => {
  const { config } = ctx
  const readKey = Endpoint.readJson(config, ApiKeys.ApiKeyResponse)
  const readKeys = Endpoint.readJson(config, ApiKeys.ApiKeyList)
  const readRotated = Endpoint.readJson(config, ApiKeys.RotatedKey)
  const readEmpty = Endpoint.readEmpty(config)

  const call = <A>(
    method: Endpoint.Method,
    path: Either.Either<string, NexosError.InvalidRequest>,
    body: Either.Either<unknown, NexosError.InvalidRequest>,
    read: Endpoint.Read<A>,
    options: NexosClient.RequestOptions | undefined,
    operation: string
  ): Effect.Effect<A, NexosError.NexosError> =>
    Either.match(Either.all([path, body]), {
      onLeft: (error) => Effect.fail(error),
      onRight: ([p, b]) =>
        ctx.execute((overrides) => Transport.buildRequest(config, method, p, b, overrides), options, read)
    }).pipe(Endpoint.span(`api_keys.${operation}`))

  const owner = (base: Either.Either<string, NexosError.InvalidRequest>): KeysService => {
    const key = (keyId: string, suffix = "") =>
      Either.flatMap(base, (b) => Either.map(Endpoint.pathId(keyId, "key id"), (id) => `${b}/${id}${suffix}`))
    const none = Either.right(undefined)
    return {
      list: (options) => call("GET", base, none, readKeys, options, "list"),
      create: (request, options) => call("POST", base, validateCreate(request), readKey, options, "create"),
      bulkUpdate: (request, options) =>
        call("POST", Either.map(base, (b) => `${b}/bulk`), validateBulk(request), readKeys, options, "bulk_update"),
      update: (keyId, request, options) =>
        call("PATCH", key(keyId), validateUpdate(request), readKey, options, "update"),
      delete: (keyId, options) => call("DELETE", key(keyId), none, readEmpty, options, "delete"),
      regenerate: (keyId, options) => call("PATCH", key(keyId, "/regenerate"), none, readKey, options, "regenerate")
    }
  }

  return {
    user: owner(Either.right("/user/api_keys")),
    team: (teamId) => owner(Either.map(Endpoint.pathId(teamId, "team id"), (id) => `/teams/${id}/api_keys`)),
    rotate: (options) =>
      call("PATCH", Either.right("/apikey/rotate"), Either.right(undefined), readRotated, options, "rotate")
  }
}
