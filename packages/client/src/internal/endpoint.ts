import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as NexosClient from "../NexosClient.js"
import * as NexosError from "../NexosError.js"
import * as Transport from "./transport.js"

/** Reads a successful response. */
export type Read<A> = (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, NexosError.NexosError>

/** Sends a request built from the call's merged overrides, under the client's transport policy. */
export type Execute = <A>(
  build: (overrides: NexosClient.RequestOptions) => HttpClientRequest.HttpClientRequest,
  options: NexosClient.RequestOptions | undefined,
  read: Read<A>
) => Effect.Effect<A, NexosError.NexosError>

/** What the endpoint modules get from the client. */
export interface Context {
  readonly config: Transport.ResolvedConfig
  readonly execute: Execute
}

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE"

export const invalid = (message: string, issues: ReadonlyArray<{ readonly path: string; readonly message: string }>) =>
  new NexosError.InvalidRequest({ message, issues })

/** A strict validator for an outgoing value: the value, or `InvalidRequest` naming each field. */
export const validator = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const validate = Schema.validateEither(schema, { errors: "all" })
  return (value: unknown): Either.Either<A, NexosError.InvalidRequest> =>
    Either.mapLeft(validate(value), (error) => {
      const issues = ChatCompletionRequest.issuesOf(error)
      return invalid(`Invalid ${what}: ${ChatCompletionRequest.formatIssues(issues)}`, issues)
    })
}

/** An id for a URL path segment: non-empty, then percent-encoded. */
export const pathId = (id: string, what: string): Either.Either<string, NexosError.InvalidRequest> =>
  typeof id === "string" && id.trim() !== ""
    ? Either.right(encodeURIComponent(id))
    : Either.left(invalid(`Invalid ${what}: must not be empty`, [{ path: what, message: "must not be empty" }]))

/** A span for one call of an endpoint. */
export const span = (name: string, attributes: Record<string, unknown> = {}) =>
  Effect.withSpan(name, { kind: "client", captureStackTrace: false, attributes })

/** Reads a body that carries nothing (204, or a 200 whose content is ignored). */
export const readEmpty =
  (config: Transport.ResolvedConfig) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void, NexosError.NexosError> =>
    Effect.asVoid(Effect.mapError(response.arrayBuffer, (error) => Transport.bodyError(config, error)))

/** A JSON reader for a schema. */
export const readJson = <A, I>(config: Transport.ResolvedConfig, schema: Schema.Schema<A, I>) =>
  Transport.readJson(Transport.schemaDecoder(schema))(config)

/** Reads a text body. */
export const readText =
  (config: Transport.ResolvedConfig) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<string, NexosError.NexosError> =>
    Effect.mapError(response.text, (error) => Transport.bodyError(config, error))

/** A response's body as a byte stream, failing with an idle `Timeout` when no bytes come for the idle timeout. */
export const byteStream = (
  config: Transport.ResolvedConfig,
  options: NexosClient.RequestOptions | undefined,
  response: HttpClientResponse.HttpClientResponse,
  what: string
): Stream.Stream<Uint8Array, NexosError.NexosError> => {
  const idle = Duration.decode(options?.idleTimeout ?? config.idleTimeout)
  const bytes = Stream.mapError(response.stream, (error) => Transport.bodyError(config, error))
  const requestId = response.headers["x-request-id"]
  return Duration.isFinite(idle)
    ? Stream.timeoutFail(bytes, () =>
      new NexosError.Timeout({
        message: `The ${what} stalled: no bytes for ${Duration.format(idle)}`,
        phase: "idle",
        afterFirstByte: true,
        timeoutMs: Duration.toMillis(idle),
        ...(requestId === undefined ? {} : { requestId })
      }), idle)
    : bytes
}

/** A failure to fit a body to its schema, as `DecodeError` with a bounded excerpt. */
export const decodeError = (
  config: Transport.ResolvedConfig,
  response: HttpClientResponse.HttpClientResponse,
  message: string,
  text: string
) => {
  const requestId = response.headers["x-request-id"]
  return new NexosError.DecodeError({
    message,
    excerpt: NexosError.excerpt(NexosError.scrub(text, Transport.secretsOf(config))),
    ...(requestId === undefined ? {} : { requestId })
  })
}
