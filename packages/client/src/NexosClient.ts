/**
 * The nexos.ai client as an Effect service. `NexosClient.layer(options)` / `layerConfig()` build it on top of any
 * `HttpClient.HttpClient` (the caller picks the transport: undici, fetch, or a fake). Requests are validated before
 * sending (`InvalidRequest`), sent under the transport policy (per-attempt timeout, retry `Schedule`), and bodies
 * decoded with the wire schemas. Per-request overrides (headers, timeout, retry policy, extra body fields, query
 * parameters such as the gateway's `fallbacks`) ride on each call or in the Context via `withRequestOptions`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Models from "@nexos-effect/schema/Models"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import type * as Undici from "undici"
import type * as ChatEvent from "./ChatEvent.js"
import * as ChatStream from "./ChatStream.js"
import type * as AgentsApi from "./internal/agents.js"
import type * as ApiKeysApi from "./internal/apiKeys.js"
import type * as AudioApi from "./internal/audio.js"
import type * as BatchesApi from "./internal/batches.js"
import { decodeCompletion } from "./internal/completionDecoder.js"
import type * as Endpoint from "./internal/endpoint.js"
import type * as FilesApi from "./internal/files.js"
import * as Groups from "./internal/groups.js"
import type * as ImagesApi from "./internal/images.js"
import type * as ModelsApi from "./internal/models.js"
import * as SpanAttributes from "./internal/spanAttributes.js"
import * as SseStream from "./internal/sseStream.js"
import * as Transport from "./internal/transport.js"
import * as UndiciTransport from "./internal/undici.js"
import * as NexosError from "./NexosError.js"
import * as ResponseMeta from "./ResponseMeta.js"
import * as RetryPolicy from "./RetryPolicy.js"
import type * as StrictSchema from "./StrictSchema.js"
import type * as StructuredOutput from "./StructuredOutput.js"

/**
 * The default base URL.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = "https://api.nexos.ai/v1"

/**
 * The default `User-Agent` (the gateway's edge blocks some default agents, so one is always sent).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultUserAgent = "nexos-effect/0.1.0"

/**
 * The default deadline of a whole call (request, retries and stream): 30 minutes.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultDeadline: Duration.Duration = Duration.minutes(30)

/**
 * Client options. Only `apiKey` is required.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** Default `https://api.nexos.ai/v1`. */
  readonly baseUrl?: string
  /** `bearer` (default) sends `Authorization: Bearer <key>`; `x-api-key` sends `X-Api-Key: <key>`. */
  readonly authHeader?: "bearer" | "x-api-key"
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>
  /** Default `nexos-effect/<version>`. */
  readonly userAgent?: string
  /** Per-attempt timeout, until the whole non-streaming response (streams: until headers). Default 10 minutes;
   * `Duration.infinity` disables it. */
  readonly timeout?: Duration.DurationInput
  /** When and how often to retry: a `Schedule` fed with each failure. Default `RetryPolicy.defaultPolicy`. */
  readonly retry?: RetryPolicy.RetryPolicy
  /** Which failures are retried. Default `RetryPolicy.isRetryable` (the error's `isRetryable`). */
  readonly retryOn?: RetryPolicy.RetryOn
  /**
   * Streams: time allowed from the response headers to the first data event (a chunk, `[DONE]` or an error frame).
   * SSE comments and keep-alives do not end it, so a server that only sends `: ping` times out. Default 60 s.
   */
  readonly firstChunkTimeout?: Duration.DurationInput
  /**
   * Streams: after the first data event, the longest time without any bytes. Any bytes count, keep-alive comments
   * included (they prove the connection lives); the `deadline` bounds a stream that never ends. Default 60 s.
   */
  readonly idleTimeout?: Duration.DurationInput
  /**
   * The whole call: the request, its retries and their waits and, for streams, the stream until its end (also the
   * time the consumer takes). When it passes, the call fails with `Timeout` phase `deadline` and its connection is
   * closed. Default 30 minutes; `Duration.infinity` disables it.
   */
  readonly deadline?: Duration.DurationInput
  /**
   * Names of headers that carry secrets (case-insensitive), e.g. a gateway token sent in `headers`. Their values
   * are redacted (`<redacted>`) in span attributes, in the response headers copied into errors and `ResponseMeta`,
   * and wherever a `Headers` value is printed or logged during a call; `authorization`, `x-api-key` and
   * `x-nexos-key` always are.
   */
  readonly redactedHeaders?: ReadonlyArray<string>
  /**
   * Middleware for the `HttpClient` the client sends through (proxy headers, logging, a rate limiter): applied once,
   * when the client is built; every attempt of every call then goes through its result. Default: none.
   */
  readonly transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
}

/**
 * A value for `layerConfig`: a `Config` read when the layer is built, or the value itself.
 *
 * @since 0.1.0
 * @category models
 */
export type ConfigOrValue<A> = A | Config.Config<A>

/**
 * Options of `layerConfig`: every option of `layer`, each a `Config` read when the layer is built or the value
 * itself. `apiKey` defaults to `Config.redacted("NEXOS_API_KEY")` and `baseUrl` to `NEXOS_BASE_URL` (itself
 * defaulting to `https://api.nexos.ai/v1`); the others default as in `Options`.
 *
 * @since 0.1.0
 * @category models
 */
export type ConfigOptions = { readonly [K in keyof Options]?: ConfigOrValue<NonNullable<Options[K]>> }

/**
 * Per-request overrides; each replaces the client's setting for one call (headers are merged).
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  readonly headers?: Readonly<Record<string, string>>
  readonly timeout?: Duration.DurationInput
  readonly retry?: RetryPolicy.RetryPolicy
  readonly retryOn?: RetryPolicy.RetryOn
  /** Fields merged into the JSON body as they are (vendor extensions the schema does not know). */
  readonly extraBody?: Readonly<Record<string, unknown>>
  /** Query parameters, e.g. `{ fallbacks: "true" }`. */
  readonly query?: Readonly<Record<string, string>>
  readonly firstChunkTimeout?: Duration.DurationInput
  readonly idleTimeout?: Duration.DurationInput
  /** The whole call's deadline (see `Options.deadline`). */
  readonly deadline?: Duration.DurationInput
}

/**
 * A completion and the metadata of the response that brought it.
 *
 * @since 0.1.0
 * @category models
 */
export interface CompletionWithMeta {
  readonly completion: ChatCompletion.ChatCompletion
  readonly meta: ResponseMeta.ResponseMeta
}

/**
 * The operations of `/v1/files` and `/v1/storage`: upload (multipart, streamed), list (a lazily paging `Stream`),
 * get, content (a byte `Stream`), delete.
 *
 * @since 0.1.0
 * @category models
 */
export interface FilesService extends FilesApi.Service {}

/**
 * The gateway's Batch API (`/v1/batches`): create, get, and list / cancel (outside the spec: `Unsupported` when
 * the gateway does not offer them). `Batch.runRemote` drives it end to end.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchesService extends BatchesApi.Service {}

/**
 * Model helpers beside `list`: `resolve` (a display name to its model, `AmbiguousModel` listing the candidates) and
 * `fallbacks` (`/v1/management/models/{model}/fallbacks`: get, create, update, delete).
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelsService extends ModelsApi.Service {}

/**
 * `/v1/audio`: speech (the audio as a byte `Stream`), transcriptions and translations (multipart, every
 * `response_format`).
 *
 * @since 0.1.0
 * @category models
 */
export interface AudioService extends AudioApi.Service {}

/**
 * `/v1/images/generations`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImagesService extends ImagesApi.Service {}

/**
 * API keys: the caller's (`user`), a team's (`team(teamId)`), and `rotate` for the calling key. Key values are
 * `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiKeysService extends ApiKeysApi.Service {}

/**
 * `/v1/agents`: the agents the caller can use (their ids work as a chat completion's `model`).
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentsService extends AgentsApi.Service {}

/**
 * The client service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly chat: {
    readonly completions: {
      /**
       * A whole completion. The result carries `ResponseMeta` (read it with `ResponseMeta.get`; a spread drops it,
       * see `createWithMeta`). A request with `stream: true` is streamed on the wire (with `stream_options` as given,
       * `include_usage` defaulting to true, the first-chunk and idle timeouts, retries only before the first byte)
       * and accumulated into the same `ChatCompletion`: use it for long answers that would outlast the gateway's
       * non-streaming timeout. For the events as they come, use `stream`.
       */
      readonly create: (
        request: ChatCompletionRequest.ChatCompletionRequest,
        options?: RequestOptions
      ) => Effect.Effect<ChatCompletion.ChatCompletion, NexosError.NexosError>
      /** The same call as `create`, with the response's metadata as an explicit pair `{ completion, meta }`. */
      readonly createWithMeta: (
        request: ChatCompletionRequest.ChatCompletionRequest,
        options?: RequestOptions
      ) => Effect.Effect<CompletionWithMeta, NexosError.NexosError>
      /**
       * A streamed completion as `ChatEvent`s (text, reasoning, tool calls, citations, usage, finish). Sends
       * `stream: true` and `stream_options.include_usage: true` unless the request says otherwise. The transport
       * policy applies until the response headers, never after; then the first-chunk and idle timeouts apply.
       * Interrupting the consumer closes the connection.
       */
      readonly stream: (
        request: ChatCompletionRequest.ChatCompletionRequest,
        options?: RequestOptions
      ) => Stream.Stream<ChatEvent.ChatEvent, NexosError.NexosError>
      /**
       * The events of `stream` as they come and, last, a `ChatStream.Completed` with the accumulated completion and
       * the response's metadata: print the answer live, then store it, from one call.
       */
      readonly streamWithCompletion: (
        request: ChatCompletionRequest.ChatCompletionRequest,
        options?: RequestOptions
      ) => Stream.Stream<ChatEvent.ChatEvent | ChatStream.Completed, NexosError.NexosError>
      /** The same stream as raw, leniently decoded chunks. The first chunk carries the response's `ResponseMeta`
       * (`ResponseMeta.get`), which `ChatStream.accumulate` and `ChatStream.events` pick up. */
      readonly streamChunks: (
        request: ChatCompletionRequest.ChatCompletionRequest,
        options?: RequestOptions
      ) => Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, NexosError.NexosError>
      /** A typed answer: asks for `schema`'s JSON (strict `json_schema`, or `json_object` with `mode`) and decodes
       * the first choice (see `StructuredOutput`). */
      readonly parse: <A, I>(
        request: ChatCompletionRequest.ChatCompletionRequest,
        schema: Schema.Schema<A, I, never> | StrictSchema.StrictSchema<A, I>,
        options?: StructuredOutput.Options & RequestOptions
      ) => Effect.Effect<
        StructuredOutput.Parsed<A>,
        NexosError.NexosError | StructuredOutput.StructuredError | StrictSchema.UnsupportedSchema
      >
      /** `parse` as a stream: `Partial` values as the JSON grows, then the validated `Complete` one. */
      readonly parseStream: <A, I>(
        request: ChatCompletionRequest.ChatCompletionRequest,
        schema: Schema.Schema<A, I, never> | StrictSchema.StrictSchema<A, I>,
        options?: StructuredOutput.Options & RequestOptions
      ) => Stream.Stream<
        StructuredOutput.StreamEvent<A, I>,
        NexosError.NexosError | StructuredOutput.StructuredError | StrictSchema.UnsupportedSchema
      >
    }
  }
  readonly models: {
    /** The models enabled for the key (`GET /models`). */
    readonly list: (options?: RequestOptions) => Effect.Effect<Models.ModelList, NexosError.NexosError>
  } & ModelsService
  readonly embeddings: {
    /** Embeddings for one or more inputs (`POST /embeddings`). */
    readonly create: (
      request: Embeddings.EmbeddingsRequest,
      options?: RequestOptions
    ) => Effect.Effect<Embeddings.EmbeddingsResponse, NexosError.NexosError>
  }
  /** `/v1/files`: Batch API input and output files. */
  readonly files: FilesService
  /** `/v1/storage`: documents for later use, e.g. by the `tika_ocr` tool. */
  readonly storage: FilesService
  /** `/v1/batches`: the gateway's asynchronous Batch API. */
  readonly batches: BatchesService
  readonly audio: AudioService
  readonly images: ImagesService
  readonly apiKeys: ApiKeysService
  readonly agents: AgentsService
}

/**
 * The client's Context tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class NexosClient extends Context.Tag("@nexos-effect/client/NexosClient")<NexosClient, Service>() {}

/**
 * Overrides applied to every client call made inside an effect (merged under each call's own options).
 *
 * @since 0.1.0
 * @category request options
 */
export const currentRequestOptions: FiberRef.FiberRef<RequestOptions> = globalValue(
  Symbol.for("@nexos-effect/client/NexosClient/currentRequestOptions"),
  () => FiberRef.unsafeMake<RequestOptions>({})
)

/**
 * Runs an effect with request overrides for every client call inside it.
 *
 * @since 0.1.0
 * @category request options
 */
export const withRequestOptions: {
  (options: RequestOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: RequestOptions): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, options: RequestOptions): Effect.Effect<A, E, R> =>
    Effect.locallyWith(self, currentRequestOptions, (current) => mergeOptions(current, options))
)

const mergeOptions = (base: RequestOptions, over: RequestOptions | undefined): RequestOptions =>
  over === undefined ? base : {
    ...base,
    ...over,
    ...(base.headers !== undefined || over.headers !== undefined
      ? { headers: { ...base.headers, ...over.headers } }
      : {}),
    ...(base.extraBody !== undefined || over.extraBody !== undefined
      ? { extraBody: { ...base.extraBody, ...over.extraBody } }
      : {}),
    ...(base.query !== undefined || over.query !== undefined ? { query: { ...base.query, ...over.query } } : {})
  }

const resolve = (options: Options): Effect.Effect<Transport.ResolvedConfig, ConfigError.ConfigError> =>
  Effect.suspend(() => {
    if (Redacted.value(options.apiKey).trim() === "") {
      return Effect.fail(
        ConfigError.InvalidData(["apiKey"], "The nexos API key is empty: set NEXOS_API_KEY or pass apiKey")
      )
    }
    if (!/^[\x21-\x7e]+$/.test(Redacted.value(options.apiKey).trim())) {
      return Effect.fail(
        ConfigError.InvalidData(["apiKey"], "The nexos API key contains characters that cannot go in an HTTP header")
      )
    }
    const baseUrl = (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, "")
    if (!/^https?:\/\/[^/]/.test(baseUrl)) {
      return Effect.fail(ConfigError.InvalidData(["baseUrl"], `The base URL must be http(s)://..., got ${baseUrl}`))
    }
    return Effect.succeed({
      apiKey: Redacted.make(Redacted.value(options.apiKey).trim()),
      baseUrl,
      authHeader: options.authHeader ?? "bearer",
      headers: options.headers ?? {},
      userAgent: options.userAgent ?? defaultUserAgent,
      timeout: Duration.decode(options.timeout ?? "10 minutes"),
      retry: options.retry ?? RetryPolicy.defaultPolicy,
      retryOn: options.retryOn ?? RetryPolicy.isRetryable,
      firstChunkTimeout: Duration.decode(options.firstChunkTimeout ?? "60 seconds"),
      idleTimeout: Duration.decode(options.idleTimeout ?? "60 seconds"),
      deadline: Duration.decode(options.deadline ?? defaultDeadline),
      redactedHeaders: (options.redactedHeaders ?? []).map((name) => name.toLowerCase())
    })
  })

const invalid = (issues: ReadonlyArray<ChatCompletionRequest.Issue>, what: string) =>
  new NexosError.InvalidRequest({
    message: `Invalid ${what}: ${ChatCompletionRequest.formatIssues(issues)}`,
    issues
  })

const validateEmbeddings = Schema.validateEither(Embeddings.EmbeddingsRequest, { errors: "all" })

const operationSpan = <A, E>(
  operation: string,
  model: string | undefined,
  f: (span: Tracer.Span | undefined) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Transport.withSpan(model === undefined ? operation : `${operation} ${model}`, {
    "gen_ai.operation.name": operation,
    "gen_ai.provider.name": "nexos",
    ...(model === undefined ? {} : { "gen_ai.request.model": model })
  }, f)

const annotateCompletion = (span: Tracer.Span | undefined, completion: ChatCompletion.ChatCompletion): void => {
  if (span !== undefined) Transport.annotate(span, SpanAttributes.ofCompletion(completion))
}

const streamSpanOptions = (model: string) => ({
  kind: "client" as const,
  captureStackTrace: false,
  attributes: {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "nexos",
    "gen_ai.request.model": model,
    "gen_ai.request.stream": true
  }
})

interface OpenedStream {
  readonly meta: ResponseMeta.ResponseMeta
  readonly chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, NexosError.NexosError>
}

const attachToFirst = (meta: ResponseMeta.ResponseMeta) =>
<E, R>(
  chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>
): Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R> =>
  Stream.suspend(() => {
    let pending = true
    return Stream.mapChunks(chunks, (chunk) => {
      if (pending && Chunk.isNonEmpty(chunk)) {
        pending = false
        ResponseMeta.attach(Chunk.unsafeHead(chunk), meta)
      }
      return chunk
    })
  })

/**
 * Builds the service from options and an `HttpClient`. Fails with a `ConfigError` when the API key is empty or the
 * base URL is malformed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.flatMap(
    HttpClient.HttpClient,
    (client) => build(options, HttpClient.withTracerDisabledWhen(client, () => true), undefined)
  )

/** The service over `platform` (`transformClient` applied); with `native` (the client's own undici transport, no
 * `transformClient`), attempts go straight to it under abort timers. */
const build = (
  options: Options,
  platform: HttpClient.HttpClient,
  native: UndiciTransport.Native | undefined
): Effect.Effect<Service, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const config = yield* resolve(options)
    const client = options.transformClient === undefined ? platform : options.transformClient(platform)
    const scoped = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      native === undefined ? Transport.withRedactedHeaders(config)(effect) : effect
    const readCompletion = Transport.readJsonWithMeta(decodeCompletion)(config)
    const readModels = Transport.readJson(Transport.schemaDecoder(Models.ModelList))(config)
    const readEmbeddings = Transport.readJson(Transport.schemaDecoder(Embeddings.EmbeddingsResponse))(config)

    const overridesFor = (options: RequestOptions | undefined) =>
      Effect.map(FiberRef.get(currentRequestOptions), (context) => mergeOptions(context, options))

    const deadlineOf = (overrides: RequestOptions) =>
      overrides.deadline === undefined ? config.deadline : Duration.decode(overrides.deadline)

    const execute: Endpoint.Execute = <A>(
      build: (overrides: RequestOptions) => HttpClientRequest.HttpClientRequest,
      options: RequestOptions | undefined,
      read: Endpoint.Read<A>
    ) =>
      Effect.withFiberRuntime<A, NexosError.NexosError>((fiber) => {
        const overrides = mergeOptions(fiber.getFiberRef(currentRequestOptions), options)
        const progress = Transport.makeProgress()
        const request = build(overrides)
        if (native !== undefined) {
          return Transport.sendNative(native, config, request, overrides, read, progress, deadlineOf(overrides))
        }
        return scoped(Transport.send(client, config, request, overrides, read, progress, deadlineOf(overrides)))
      })

    const call = <A>(
      method: "GET" | "POST",
      path: string,
      body: unknown,
      options: RequestOptions | undefined,
      read: Endpoint.Read<A>
    ) => execute((overrides) => Transport.buildRequest(config, method, path, body, overrides), options, read)

    const createWithMeta = (
      request: ChatCompletionRequest.ChatCompletionRequest,
      options?: RequestOptions
    ): Effect.Effect<CompletionWithMeta, NexosError.NexosError> => {
      if (request.stream === true) {
        return operationSpan("chat", request.model, (span) =>
          Effect.flatMap(overridesFor(options), (overrides) => {
            const progress = Transport.makeProgress()
            return Transport.withDeadline(
              Effect.flatMap(
                openStream(request, overrides, progress),
                ({ chunks, meta }) => Effect.map(ChatStream.accumulate(chunks), (completion) => ({ completion, meta }))
              ),
              deadlineOf(overrides),
              progress
            )
          }).pipe(Effect.map((result) => {
            annotateCompletion(span, result.completion)
            return result
          })))
      }
      const validated = ChatCompletionRequest.validate(request)
      return operationSpan("chat", request.model, (span) =>
        Either.match(validated, {
          onLeft: (issues) => Effect.fail(invalid(issues, "chat completion request")),
          onRight: (encoded) =>
            Effect.map(call("POST", "/chat/completions", encoded, options, readCompletion), ({ meta, value }) => {
              annotateCompletion(span, value)
              return { completion: value, meta }
            })
        }))
    }

    const create = (request: ChatCompletionRequest.ChatCompletionRequest, options?: RequestOptions) =>
      Effect.map(createWithMeta(request, options), ({ completion, meta }) => ResponseMeta.attach(completion, meta))

    const openStream = (
      request: ChatCompletionRequest.ChatCompletionRequest,
      overrides: RequestOptions,
      progress: Transport.Progress
    ) =>
      Either.match(
        ChatCompletionRequest.validate({
          ...request,
          stream: true,
          stream_options: { include_usage: true, ...request.stream_options }
        }),
        {
          onLeft: (issues) => Effect.fail(invalid(issues, "chat completion request")),
          onRight: (encoded) =>
            scoped(Effect.withFiberRuntime<OpenedStream, NexosError.NexosError>((fiber) => {
              const clock = fiber.currentDefaultServices.unsafeMap.get(Clock.Clock.key) as Clock.Clock
              const httpRequest = Transport.buildRequest(config, "POST", "/chat/completions", encoded, overrides)
                .pipe(HttpClientRequest.setHeader("accept", "text/event-stream"))
              const startedAt = clock.unsafeCurrentTimeMillis()
              const span = Transport.spanOf(fiber)
              const read = Transport.readStream(config)
              return Effect.flatMap(
                native === undefined
                  ? Transport.send(client, config, httpRequest, overrides, read, progress)
                  : Transport.sendNative(native, config, httpRequest, overrides, read, progress, Duration.infinity),
                ({ chunks: whole, response }) =>
                  Effect.map(
                    Transport.metaOf(config, response),
                    (meta) => {
                      const summary = new SpanAttributes.ChunkSummary(startedAt, () => clock.unsafeCurrentTimeMillis())
                      const requestId = meta.requestId
                      const tagged = requestId === undefined ? {} : { requestId }
                      progress.bodyBytes = 0
                      const decoded = whole !== undefined ? Stream.fromIterable(whole) : SseStream.decode(
                        Stream.mapError(response.stream, (error) => Transport.bodyError(config, error)),
                        {
                          ...tagged,
                          headers: meta.headers,
                          secrets: Transport.secretsOf(config),
                          firstChunkTimeout: overrides.firstChunkTimeout ?? config.firstChunkTimeout,
                          idleTimeout: overrides.idleTimeout ?? config.idleTimeout
                        },
                        (size) => {
                          progress.bodyBytes! += size
                        },
                        response instanceof UndiciTransport.UndiciResponse
                          ? (watch) => response.watched(watch, (error) => Transport.bodyError(config, error))
                          : undefined
                      )
                      const chunks = decoded.pipe(
                        attachToFirst(meta),
                        Stream.mapChunks(summary.observe),
                        Stream.ensuring(Effect.sync(() => {
                          if (span !== undefined) summary.annotate(span)
                        }))
                      )
                      return { meta, chunks }
                    }
                  )
              )
            }))
        }
      )

    const streaming = <A>(
      request: ChatCompletionRequest.ChatCompletionRequest,
      options: RequestOptions | undefined,
      use: (chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, NexosError.NexosError>) => Stream.Stream<
        A,
        NexosError.NexosError
      >
    ): Stream.Stream<A, NexosError.NexosError> =>
      Stream.unwrap(Effect.map(overridesFor(options), (overrides) => {
        const progress = Transport.makeProgress()
        return Transport.withStreamDeadline(
          Stream.unwrap(Effect.map(openStream(request, overrides, progress), (opened) => use(opened.chunks))),
          deadlineOf(overrides),
          progress
        )
      })).pipe((stream) =>
        Stream.unwrap(
          Effect.withFiberRuntime((fiber) =>
            Effect.succeed(
              Transport.isTracing(fiber)
                ? Stream.withSpan(stream, `chat ${request.model}`, streamSpanOptions(request.model))
                : stream
            )
          )
        )
      )

    const streamChunks = (request: ChatCompletionRequest.ChatCompletionRequest, options?: RequestOptions) =>
      streaming(request, options, (chunks) => chunks)

    const stream = (request: ChatCompletionRequest.ChatCompletionRequest, options?: RequestOptions) =>
      streaming(request, options, (chunks) => ChatStream.events(chunks))

    const streamWithCompletion = (request: ChatCompletionRequest.ChatCompletionRequest, options?: RequestOptions) =>
      ChatStream.eventsWithCompletion(streamChunks(request, options))

    const listModels = (options?: RequestOptions) =>
      operationSpan("models", undefined, () => call("GET", "/models", undefined, options, readModels))

    const createEmbeddings = (request: Embeddings.EmbeddingsRequest, options?: RequestOptions) => {
      const validated = validateEmbeddings(request)
      return operationSpan("embeddings", request.model, () =>
        Either.match(validated, {
          onLeft: (error) => Effect.fail(invalid(ChatCompletionRequest.issuesOf(error), "embeddings request")),
          onRight: (valid) => call("POST", "/embeddings", valid, options, readEmbeddings)
        }))
    }

    const groups = Groups.make({ config, execute }, listModels)
    return {
      chat: {
        completions: {
          create,
          createWithMeta,
          stream,
          streamChunks,
          streamWithCompletion,
          ...Groups.structured(create, streamChunks)
        }
      },
      models: { list: listModels, ...groups.models },
      embeddings: { create: createEmbeddings },
      files: groups.files,
      storage: groups.storage,
      batches: groups.batches,
      audio: groups.audio,
      images: groups.images,
      apiKeys: groups.apiKeys,
      agents: groups.agents
    } satisfies Service
  })

/**
 * The client as a Layer over an `HttpClient`.
 *
 * @example
 * ```ts
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { NexosClient } from "@nexos-effect/client"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const NexosLive = NexosClient.layer({ apiKey: Redacted.make("my-key"), timeout: "2 minutes" }).pipe(
 *   Layer.provide(NodeHttpClient.layerUndici)
 * )
 * const answer = Effect.flatMap(NexosClient.NexosClient, (nexos) =>
 *   nexos.chat.completions.create({ model: "GPT 5.4 mini", messages: [{ role: "user", content: "Hi" }] })
 * ).pipe(Effect.provide(NexosLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<NexosClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(NexosClient, make(options))

/**
 * The client as a Layer configured with `Config`: every option can come from the environment or any
 * `ConfigProvider`. Without options it reads `NEXOS_API_KEY` (required, redacted) and `NEXOS_BASE_URL` (default
 * `https://api.nexos.ai/v1`); pass a `Config` (or a plain value) for any option to read it elsewhere.
 *
 * @example
 * ```ts
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { NexosClient } from "@nexos-effect/client"
 * import { Config, Layer } from "effect"
 *
 * const NexosLive = NexosClient.layerConfig({
 *   timeout: Config.duration("NEXOS_TIMEOUT").pipe(Config.withDefault("2 minutes")),
 *   authHeader: "x-api-key"
 * }).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: ConfigOptions = {}
): Layer.Layer<NexosClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(NexosClient, Effect.flatMap(readConfig(options), make))

const readConfig = (options: ConfigOptions): Effect.Effect<Options, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const resolved: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined) resolved[key] = Config.isConfig(value) ? yield* value : value
    }
    resolved.apiKey ??= yield* Config.redacted("NEXOS_API_KEY")
    resolved.baseUrl ??= yield* Config.string("NEXOS_BASE_URL").pipe(Config.withDefault(defaultBaseUrl))
    return resolved as unknown as Options
  })

/**
 * Options of `layerUndici`: those of `layer`, and the undici `Dispatcher` to send through.
 *
 * @since 0.1.0
 * @category models
 */
export interface UndiciOptions extends Options {
  /** An undici `Dispatcher` (an `Agent` with its own connection limits, a `ProxyAgent`, a `MockAgent`). Default: an
   * `Agent` of the layer's own, destroyed when the layer is released. */
  readonly dispatcher?: Undici.Dispatcher
}

const undiciService = (options: UndiciOptions): Effect.Effect<Service, ConfigError.ConfigError, Scope.Scope> =>
  Effect.flatMap(
    options.dispatcher !== undefined
      ? Effect.succeed(UndiciTransport.make(options.dispatcher))
      : Effect.map(
        Effect.acquireRelease(UndiciTransport.defaultAgent, ({ agent }) => Effect.promise(() => agent.destroy())),
        ({ agent, send }) => UndiciTransport.make(agent, send)
      ),
    (native) => build(options, native.client, options.transformClient === undefined ? native : undefined)
  )

/**
 * The client on a transport of its own over undici (no `HttpClient` to provide): the fast way to run it on Node.
 * Each attempt is bounded by a timer that aborts its request (the per-attempt timeout, or what is left of the
 * deadline), response bodies are read once, and interrupting a call or closing a stream early aborts its request.
 * Everything else behaves as with `layer`; with `transformClient`, the middleware gets this transport as an
 * `HttpClient` and the call runs as with `layer`.
 *
 * @example
 * ```ts
 * import { NexosClient } from "@nexos-effect/client"
 * import { Effect, Redacted } from "effect"
 *
 * const NexosLive = NexosClient.layerUndici({ apiKey: Redacted.make("my-key"), timeout: "2 minutes" })
 * const answer = Effect.flatMap(NexosClient.NexosClient, (nexos) =>
 *   nexos.chat.completions.create({ model: "GPT 5.4 mini", messages: [{ role: "user", content: "Hi" }] })
 * ).pipe(Effect.provide(NexosLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUndici = (options: UndiciOptions): Layer.Layer<NexosClient, ConfigError.ConfigError> =>
  Layer.scoped(NexosClient, undiciService(options))

/**
 * Options of `layerUndiciConfig`: those of `layerConfig`, and the undici `Dispatcher` to send through.
 *
 * @since 0.1.0
 * @category models
 */
export type UndiciConfigOptions = ConfigOptions & { readonly dispatcher?: Undici.Dispatcher }

/**
 * `layerUndici` configured as `layerConfig` is: `NEXOS_API_KEY`, `NEXOS_BASE_URL`, or any option as a `Config`.
 *
 * @example
 * ```ts
 * import { NexosClient } from "@nexos-effect/client"
 * import { Config } from "effect"
 *
 * const NexosLive = NexosClient.layerUndiciConfig({
 *   timeout: Config.duration("NEXOS_TIMEOUT").pipe(Config.withDefault("2 minutes"))
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUndiciConfig = (
  options: UndiciConfigOptions = {}
): Layer.Layer<NexosClient, ConfigError.ConfigError> =>
  Layer.scoped(
    NexosClient,
    Effect.flatMap(readConfig(options), (resolved) => undiciService(resolved as UndiciOptions))
  )
