import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Batches from "@nexos-effect/schema/Batches"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as NexosClient from "../NexosClient.js"
import * as NexosError from "../NexosError.js"
import * as Endpoint from "./endpoint.js"
import * as Transport from "./transport.js"

/**
 * The operations of `/v1/batches`. `list` and `cancel` are not in the gateway's spec: they follow OpenAI, and a
 * gateway that does not offer them answers with `Unsupported`.
 */
export interface Service {
  /** Creates and starts a batch from an uploaded JSONL file (`completion_window` defaults to `24h`). */
  readonly create: (
    request: Batches.CreateBatchRequest,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Batches.Batch, NexosError.NexosError>
  readonly get: (
    id: string,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Batches.Batch, NexosError.NexosError>
  /** Every batch, newest first, page after page as the stream is pulled. */
  readonly list: (
    query?: Batches.ListQuery,
    options?: NexosClient.RequestOptions
  ) => Stream.Stream<Batches.Batch, NexosError.NexosError>
  readonly listPage: (
    query?: Batches.ListQuery,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Batches.BatchList, NexosError.NexosError>
  /** Asks the gateway to cancel a batch; it passes through `cancelling` to `cancelled`. */
  readonly cancel: (
    id: string,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Batches.Batch, NexosError.NexosError>
}

const validateCreate = Endpoint.validator(Batches.CreateBatchRequest, "batch request")
const validateQuery = Endpoint.validator(Batches.ListQuery, "batch list query")

const isMissingEndpoint = (error: NexosError.NexosError): boolean =>
  (error._tag === "NotFound" || error._tag === "BadRequest") && (error.status === 404 || error.status === 405)

const unsupported = (operation: string, error: NexosError.NexosError): NexosError.NexosError => {
  if (!isMissingEndpoint(error)) return error
  const status = NexosError.status(error)!
  const requestId = NexosError.requestId(error)
  return new NexosError.Unsupported({
    message: `The gateway does not offer ${operation} (HTTP ${status}; it is not in the nexos spec): ${error.message}`,
    operation,
    status,
    headers: "headers" in error ? error.headers : {},
    ...(requestId === undefined ? {} : { requestId })
  })
}

export const make = (ctx: Endpoint.Context): Service => {
  const { config } = ctx
  const readBatch = Endpoint.readJson(config, Batches.Batch)
  const readList = Endpoint.readJson(config, Batches.BatchList)

  const create = (request: Batches.CreateBatchRequest, options?: NexosClient.RequestOptions) =>
    Either.match(validateCreate(request), {
      onLeft: (error) => Effect.fail(error),
      onRight: (valid) =>
        ctx.execute(
          (overrides) =>
            Transport.buildRequest(config, "POST", "/batches", { completion_window: "24h", ...valid }, overrides),
          options,
          readBatch
        )
    }).pipe(Endpoint.span("batches.create", { "nexos.batch.endpoint": request.endpoint }))

  const withId = <A>(
    id: string,
    operation: string,
    f: (segment: string) => Effect.Effect<A, NexosError.NexosError>
  ) =>
    Either.match(Endpoint.pathId(id, "batch id"), { onLeft: (error) => Effect.fail(error), onRight: f }).pipe(
      Endpoint.span(`batches.${operation}`, { "nexos.batch.id": id })
    )

  const get = (id: string, options?: NexosClient.RequestOptions) =>
    withId(id, "get", (segment) =>
      ctx.execute(
        (overrides) => Transport.buildRequest(config, "GET", `/batches/${segment}`, undefined, overrides),
        options,
        readBatch
      ))

  const cancel = (id: string, options?: NexosClient.RequestOptions) =>
    withId(id, "cancel", (segment) =>
      ctx.execute(
        (overrides) => Transport.buildRequest(config, "POST", `/batches/${segment}/cancel`, undefined, overrides),
        options,
        readBatch
      ).pipe(
        Effect.catchAll((error) => {
          if (!isMissingEndpoint(error)) return Effect.fail(error)
          if (NexosError.status(error) === 405) return Effect.fail(unsupported("POST /v1/batches/{id}/cancel", error))
          return Effect.flatMap(
            Effect.either(get(id, options)),
            (found) =>
              Effect.fail(
                Either.isRight(found) ? unsupported("POST /v1/batches/{id}/cancel", error) : found.left
              )
          )
        })
      ))

  const listPage = (query: Batches.ListQuery = {}, options?: NexosClient.RequestOptions) =>
    Either.match(validateQuery(query), {
      onLeft: (error) => Effect.fail(error),
      onRight: (valid) =>
        ctx.execute(
          (overrides) => {
            const params: Record<string, string> = {}
            if (valid.after !== undefined) params.after = valid.after
            if (valid.limit !== undefined) params.limit = String(valid.limit)
            return HttpClientRequest.appendUrlParams(
              Transport.buildRequest(config, "GET", "/batches", undefined, overrides),
              params
            )
          },
          options,
          readList
        ).pipe(Effect.mapError((error) => unsupported("GET /v1/batches", error)))
    }).pipe(Endpoint.span("batches.list"))

  const list = (query: Batches.ListQuery = {}, options?: NexosClient.RequestOptions) =>
    Stream.paginateChunkEffect(
      query.after,
      (after) =>
        Effect.map(listPage(after === undefined ? query : { ...query, after }, options), (page) => {
          const last = page.data.length === 0 ? undefined : page.last_id ?? page.data[page.data.length - 1]!.id
          const next = page.has_more && last !== undefined && last !== "" && last !== after
            ? Option.some(last)
            : Option.none()
          return [Chunk.fromIterable(page.data), next] as const
        })
    )

  return { create, get, list, listPage, cancel }
}
