import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Files from "@nexos-effect/schema/Files"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as NexosClient from "../NexosClient.js"
import * as NexosError from "../NexosError.js"
import type * as Upload from "../Upload.js"
import * as Endpoint from "./endpoint.js"
import * as Multipart from "./multipart.js"
import * as Transport from "./transport.js"

/**
 * The operations of `/v1/files` (Batch API input and output) and `/v1/storage` (documents for later use).
 */
export interface Service {
  /** Uploads a file (multipart, streamed: a path or a stream is never read into memory whole). */
  readonly upload: <E = never, R = never>(
    file: Upload.Upload<E, R>,
    params?: Files.UploadParams,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Files.FileObject, NexosError.NexosError | E, R>
  /** Every file, page after page as the stream is pulled (`after` is the last id of the previous page). */
  readonly list: (
    query?: Files.ListQuery,
    options?: NexosClient.RequestOptions
  ) => Stream.Stream<Files.FileObject, NexosError.NexosError>
  /** One page of the list. */
  readonly listPage: (
    query?: Files.ListQuery,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Files.FileList, NexosError.NexosError>
  readonly get: (
    id: string,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Files.FileObject, NexosError.NexosError>
  /** The file's bytes as they arrive (an idle timeout applies between chunks). */
  readonly content: (
    id: string,
    options?: NexosClient.RequestOptions
  ) => Stream.Stream<Uint8Array, NexosError.NexosError>
  readonly delete: (
    id: string,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Files.FileDeleted, NexosError.NexosError>
}

const validateParams = Endpoint.validator(Files.UploadParams, "upload parameters")
const validateQuery = Endpoint.validator(Files.ListQuery, "file list query")

/** Sends a multipart request with one file; a failure of the file's source ends the call with that failure. */
export const sendMultipart = <A, E, R>(
  ctx: Endpoint.Context,
  path: string,
  fields: Multipart.Fields,
  file: Upload.Upload<E, R>,
  options: NexosClient.RequestOptions | undefined,
  read: Endpoint.Read<A>
): Effect.Effect<A, NexosError.NexosError | E, R> =>
  Effect.flatMap(Effect.zip(file.open, Deferred.make<never, E | NexosError.InvalidRequest>()), ([opened, failed]) => {
    const sent = ctx.execute(
      (overrides) =>
        HttpClientRequest.setBody(
          Transport.buildRequest(ctx.config, "POST", path, undefined, overrides),
          Multipart.body(fields, { name: "file", upload: file }, opened, (error) => Deferred.fail(failed, error))
        ),
      options,
      read
    )
    const preferSource = Effect.catchAll(
      sent,
      (error): Effect.Effect<A, NexosError.NexosError | E> =>
        Effect.flatMap(
          Deferred.poll(failed),
          (source): Effect.Effect<never, NexosError.NexosError | E> =>
            Option.isSome(source) ? source.value : Effect.fail(error)
        )
    )
    return Effect.raceFirst(Effect.interruptible(preferSource), Effect.interruptible(Deferred.await(failed)))
  })

/** The files service for a base path (`/files` or `/storage`). */
export const make = (ctx: Endpoint.Context, base: "/files" | "/storage"): Service => {
  const { config } = ctx
  const name = base.slice(1)
  const readFile = Endpoint.readJson(config, Files.FileObject)
  const readList = Endpoint.readJson(config, Files.FileList)
  const readDeleted = Endpoint.readJson(config, Files.FileDeleted)

  const upload = <E = never, R = never>(
    file: Upload.Upload<E, R>,
    params: Files.UploadParams = {},
    options?: NexosClient.RequestOptions
  ): Effect.Effect<Files.FileObject, NexosError.NexosError | E, R> =>
    Either.match(validateParams(params), {
      onLeft: (error) => Effect.fail(error),
      onRight: (valid) =>
        file.filename.trim() === ""
          ? Effect.fail(Endpoint.invalid("Invalid upload: the file name must not be empty", [{
            path: "filename",
            message: "must not be empty"
          }]))
          : sendMultipart(ctx, base, [["purpose", valid.purpose ?? "batch"]], file, options, readFile)
    }).pipe(Endpoint.span(`${name}.upload`, { "nexos.file.name": file.filename }))

  const listPage = (query: Files.ListQuery = {}, options?: NexosClient.RequestOptions) =>
    Either.match(validateQuery(query), {
      onLeft: (error) => Effect.fail(error),
      onRight: (valid) =>
        ctx.execute(
          (overrides) =>
            HttpClientRequest.appendUrlParams(
              Transport.buildRequest(config, "GET", base, undefined, overrides),
              Files.queryParams(valid)
            ),
          options,
          readList
        )
    }).pipe(Endpoint.span(`${name}.list`))

  const list = (query: Files.ListQuery = {}, options?: NexosClient.RequestOptions) =>
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

  const byId = <A>(
    id: string,
    method: Endpoint.Method,
    suffix: string,
    operation: string,
    read: Endpoint.Read<A>,
    options: NexosClient.RequestOptions | undefined
  ): Effect.Effect<A, NexosError.NexosError> =>
    Either.match(Endpoint.pathId(id, "file id"), {
      onLeft: (error) => Effect.fail(error),
      onRight: (segment) =>
        ctx.execute(
          (overrides) => Transport.buildRequest(config, method, `${base}/${segment}${suffix}`, undefined, overrides),
          options,
          read
        )
    }).pipe(Endpoint.span(`${name}.${operation}`, { "nexos.file.id": id }))

  const get = (id: string, options?: NexosClient.RequestOptions) => byId(id, "GET", "", "get", readFile, options)

  const remove = (id: string, options?: NexosClient.RequestOptions) =>
    byId(id, "DELETE", "", "delete", readDeleted, options)

  const content = (
    id: string,
    options?: NexosClient.RequestOptions
  ): Stream.Stream<Uint8Array, NexosError.NexosError> =>
    Stream.unwrap(
      Effect.map(
        Either.match(Endpoint.pathId(id, "file id"), {
          onLeft: (error) => Effect.fail(error),
          onRight: (segment) =>
            ctx.execute(
              (overrides) =>
                HttpClientRequest.setHeader(
                  Transport.buildRequest(config, "GET", `${base}/${segment}/content`, undefined, overrides),
                  "accept",
                  "*/*"
                ),
              options,
              (response) => Effect.succeed(response)
            )
        }),
        (response) => Endpoint.byteStream(config, options, response, "file content")
      )
    )

  return { upload, list, listPage, get, content, delete: remove }
}
