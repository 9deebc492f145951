import * as ModelFallbacks from "@nexos-effect/schema/ModelFallbacks"
import * as Models from "@nexos-effect/schema/Models"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as NexosClient from "../NexosClient.js"
import type * as NexosError from "../NexosError.js"
import * as Endpoint from "./endpoint.js"
import * as Transport from "./transport.js"

/** `/v1/management/models/{model}/fallbacks`; `{model}` is a `nexos_model_id`. */
export interface FallbacksService {
  readonly get: (
    model: string,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ModelFallbacks.Fallbacks, NexosError.NexosError>
  readonly create: (
    model: string,
    fallbacks: ReadonlyArray<string>,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ModelFallbacks.Fallbacks, NexosError.NexosError>
  readonly update: (
    model: string,
    fallbacks: ReadonlyArray<string>,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<ModelFallbacks.Fallbacks, NexosError.NexosError>
  readonly delete: (model: string, options?: NexosClient.RequestOptions) => Effect.Effect<void, NexosError.NexosError>
}

/** The model helpers beside `list`. */
export interface Service {
  /** The enabled model a display name or id stands for (`Models.resolve` on `GET /models`). */
  readonly resolve: (
    model: string,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Models.UserModel, NexosError.NexosError | Models.ModelNotFound | Models.AmbiguousModel>
  readonly fallbacks: FallbacksService
}

const validateFallbacks = Endpoint.validator(ModelFallbacks.FallbacksRequest, "model fallbacks")

const modelPath = (model: string): Either.Either<string, NexosError.InvalidRequest> =>
  ModelFallbacks.isModelId(model)
    ? Either.right(`/management/models/${model}/fallbacks`)
    : Either.left(Endpoint.invalid(
      `Invalid model for fallbacks: ${
        JSON.stringify(model)
      } is not a nexos_model_id (UUID); the gateway answers 404 to a display name, resolve it with models.resolve`,
      [{ path: "model", message: "must be a nexos_model_id (UUID)" }]
    ))

export const make = (
  ctx: Endpoint.Context,
  list: (options?: NexosClient.RequestOptions) => Effect.Effect<Models.ModelList, NexosError.NexosError>
): Service => {
  const { config } = ctx
  const read = Endpoint.readJson(config, ModelFallbacks.Fallbacks)
  const readEmpty = Endpoint.readEmpty(config)
  const call = <A>(
    method: Endpoint.Method,
    model: string,
    body: Either.Either<unknown, NexosError.InvalidRequest>,
    reader: Endpoint.Read<A>,
    options: NexosClient.RequestOptions | undefined,
    operation: string
  ): Effect.Effect<A, NexosError.NexosError> =>
    Either.match(Either.all([modelPath(model), body]), {
      onLeft: (error) => Effect.fail(error),
      onRight: ([path, b]) =>
        ctx.execute((overrides) => Transport.buildRequest(config, method, path, b, overrides), options, reader)
    }).pipe(Endpoint.span(`models.fallbacks.${operation}`, { "gen_ai.request.model": model }))
  const none = Either.right(undefined)
  return {
    resolve: (model, options) =>
      Effect.flatMap(list(options), (models) =>
        Either.match(Models.resolve(models, model), {
          onLeft: Effect.fail,
          onRight: Effect.succeed
        })),
    fallbacks: {
      get: (model, options) => call("GET", model, none, read, options, "get"),
      create: (model, fallbacks, options) =>
        call("POST", model, validateFallbacks({ models: fallbacks }), read, options, "create"),
      update: (model, fallbacks, options) =>
        call("PATCH", model, validateFallbacks({ models: fallbacks }), read, options, "update"),
      delete: (model, options) => call("DELETE", model, none, readEmpty, options, "delete")
    }
  }
}
