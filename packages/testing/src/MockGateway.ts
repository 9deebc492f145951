/**
 * The embedded mock nexos.ai gateway: a real HTTP server on 127.0.0.1 that speaks the nexos API
 * (`POST /v1/chat/completions` as JSON or SSE, `GET /v1/models`, `POST /v1/embeddings`, `/v1/files` and
 * `/v1/storage` with multipart uploads kept in a temporary directory, `/v1/batches` run in the background, audio,
 * image generations, API keys, agents and model fallbacks), checks the API key,
 * validates requests with the schema package, and answers deterministically: plain text in token-sized deltas, tool
 * calls whose arguments fit the tools' JSON Schemas, web_search answers with `url_citation` annotations, reasoning,
 * usage with details and `nexos_credits_cost`. Scripts, faults and recordings make every client path testable with
 * no network and no API key. `layer` is for tests (random port, closed with the scope); `serve` runs it standalone.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type * as Fault from "./Fault.js"
import * as Gateway from "./internal/gateway.js"
import * as Memory from "./internal/memory.js"
import type * as Reply from "./Reply.js"

/**
 * A request the gateway received. Secrets in `Authorization`, `X-Api-Key` and `X-Nexos-Key` are replaced with
 * `<redacted>`; `body` is the parsed JSON (or the text when it is not JSON, `undefined` when empty).
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  /** The `x-request-id` the gateway answered with. */
  readonly id: string
  readonly method: string
  /** The path without the query, e.g. `/v1/chat/completions`. */
  readonly path: string
  /** The path with the query. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  readonly receivedAt: number
}

/**
 * A request whose client went away before the response was complete.
 *
 * @since 0.1.0
 * @category models
 */
export interface Disconnect {
  readonly requestId: string
  readonly method: string
  readonly path: string
  /** How many stream events had been written when the client left (0 before the headers). */
  readonly eventsSent: number
  readonly afterMs: number
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Port on 127.0.0.1 (default 0: a free one). */
  readonly port?: number
  /** The accepted API key (default `"nexos-mock-key"`). */
  readonly apiKey?: string
  /** Require the API key (default true). */
  readonly auth?: boolean
  /** The default answer text of generated completions. */
  readonly answer?: string
  /** Decides the reply of a chat completion request when no script is queued; `undefined` generates one. */
  readonly respond?: (
    request: ChatCompletionRequest.ChatCompletionRequest,
    received: RecordedRequest
  ) => Reply.Reply | undefined
  /** Replies for the first chat completion requests, in order. */
  readonly script?: ReadonlyArray<Reply.Reply>
  /** A fault applied to every request (limit it with `times` and `path`). */
  readonly fault?: Fault.Fault
  /** Faults applied to the next requests, one each, before `fault`. */
  readonly faults?: ReadonlyArray<Fault.Fault>
  /** The model names of `GET /v1/models` (default: a few mock models). */
  readonly models?: ReadonlyArray<string>
  /** Answer 404 `Model not found` (code 100110) for a model not in `models` (default false). */
  readonly rejectUnknownModels?: boolean
  /** Serve recordings made with `Recorder` from `dir`; a request without one gets a 404 unless `fallback`. */
  readonly replay?: { readonly dir: string; readonly fallback?: boolean }
  /** Upper bound of `delayMs` and `dripMs` (default 30 s). */
  readonly maxDelayMs?: number
  /** How long a stall keeps the socket open before closing it (default 60 s). */
  readonly maxStallMs?: number
  /** How many requests and disconnects are kept (default 10 000, oldest dropped first). */
  readonly maxRecorded?: number
  /** The `created` timestamp of generated completions (default 2026-01-01). */
  readonly created?: number
  /** The largest file `/v1/files` and `/v1/storage` accept (default 512 MiB). Uploads are written to a temporary
   * directory as they arrive, never held in memory, and removed when the gateway closes. */
  readonly maxUploadBytes?: number
  /** The Batch API's pace: one lifecycle step (validating, each slice of `requestsPerStep` requests, finalizing)
   * every `stepMs` (defaults 25 ms and 100). A batch's metadata can ask for an outcome: `mock_outcome: "failed"`
   * (fails validation), `mock_outcome: "expired"` with `mock_expire_after: "<n>"` (expires after n requests). */
  readonly batches?: { readonly stepMs?: number; readonly requestsPerStep?: number }
}

/**
 * The running gateway: where it listens, what it received, and its run-time controls.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The base URL for clients, ending in `/v1`, e.g. `http://127.0.0.1:53211/v1`. */
  readonly url: string
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string
  readonly port: number
  /** The key the gateway accepts (not a secret); `PATCH /v1/apikey/rotate` with it replaces it. */
  readonly apiKey: string
  /** The requests received so far (since the last `reset`). */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Waits until `count` requests have been received; returns them. */
  readonly awaitRequests: (count: number) => Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** The client disconnects observed so far (since the last `reset`). */
  readonly disconnects: Effect.Effect<ReadonlyArray<Disconnect>>
  /** Waits until a client disconnect has been observed; returns the first one. */
  readonly awaitDisconnect: Effect.Effect<Disconnect>
  /** Waits until `count` client disconnects have been observed; returns them. */
  readonly awaitDisconnects: (count: number) => Effect.Effect<ReadonlyArray<Disconnect>>
  /** Sets (or clears with `undefined`) the fault applied to every following request. */
  readonly setFault: (fault: Fault.Fault | undefined) => Effect.Effect<void>
  /** Queues faults for the next requests, one each (they win over the `setFault` one). */
  readonly queueFaults: (...faults: ReadonlyArray<Fault.Fault>) => Effect.Effect<void>
  /** Queues replies for the next chat completion requests, in order. */
  readonly enqueue: (...replies: ReadonlyArray<Reply.Reply>) => Effect.Effect<void>
  /** Forgets requests, disconnects, faults, scripts, the response cache and the stored files. */
  readonly reset: Effect.Effect<void>
}

/**
 * The service tag of a running gateway.
 *
 * @since 0.1.0
 * @category tags
 */
export class MockGateway extends Context.Tag("@nexos-effect/testing/MockGateway")<MockGateway, Service>() {}

/**
 * The API key the gateway accepts unless `apiKey` is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultApiKey: string = Gateway.defaultApiKey

/**
 * The path of the admin endpoint that resets a running gateway (`POST`, answers 204): see `Service.reset`.
 *
 * @since 0.1.0
 * @category constants
 */
export const resetPath: string = Gateway.resetPath

/**
 * Starts a gateway on 127.0.0.1 for the lifetime of the scope. Closing the scope closes every connection, including
 * stalled streams.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const state = new Gateway.GatewayState(options)
    const background = yield* FiberSet.make()
    const runBackground = yield* FiberSet.runtime(background)<never>()
    state.background = (work) => Effect.sync(() => void runBackground(Effect.withClock(work, Clock.make())))
    let node: Http.Server | undefined
    const server = yield* NodeHttpServer.make(() => {
      node = Http.createServer({ keepAliveTimeout: 5_000 })
      return node
    }, { port: options.port ?? 0, host: "127.0.0.1" })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        state.closing = true
        node?.closeAllConnections()
        state.disk.close()
      })
    )
    yield* server.serve(Gateway.app(state)).pipe(
      Effect.withClock(Clock.make()),
      Effect.locally(HttpMiddleware.currentTracerDisabledWhen, () => true)
    )
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    return serviceOf(state, `http://127.0.0.1:${port}`, port)
  })

const serviceOf = (state: Gateway.GatewayState, origin: string, port: number): Service => ({
  url: `${origin}/v1`,
  origin,
  port,
  apiKey: state.apiKey,
  requests: state.requests.all,
  awaitRequests: (count) => state.requests.awaitCount(count),
  disconnects: state.disconnects.all,
  awaitDisconnect: Effect.map(state.disconnects.awaitCount(1), (all) => all[0]),
  awaitDisconnects: (count) => state.disconnects.awaitCount(count),
  setFault: (fault) =>
    Effect.sync(() => {
      state.persistent = fault === undefined ? undefined : { fault, used: 0 }
    }),
  queueFaults: (...faults) =>
    Effect.sync(() => {
      state.faultQueue.push(...faults)
    }),
  enqueue: (...replies) =>
    Effect.sync(() => {
      state.script.push(...replies)
    }),
  reset: Effect.sync(() => state.reset())
})

/**
 * A gateway without a server: the same gateway (scripts, faults, validation, recording, reset) behind an
 * `HttpClient` that hands every request to it in memory, whatever the request's URL. For unit tests that open no
 * socket. Its `url` is `http://mock.nexos.invalid/v1` (a name that never resolves) and `port` is 0. It runs on the
 * clock of the fiber that builds it: under `it.effect`, `TestClock.adjust` moves its delays, drips and stalls. A
 * dropped connection fails the request (before the response) or its body (after) as a socket would.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeInMemory = (
  options: Options = {}
): Effect.Effect<{ readonly gateway: Service; readonly client: HttpClient.HttpClient }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const state = new Gateway.GatewayState(options)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        state.closing = true
        state.disk.close()
      })
    )
    const runtime = yield* Effect.runtime<never>().pipe(
      Effect.locally(HttpMiddleware.currentTracerDisabledWhen, () => true)
    )
    return { gateway: serviceOf(state, Memory.origin, 0), client: Memory.client(state, runtime) }
  })

/**
 * `makeInMemory` as a Layer: the gateway and the `HttpClient` that reaches it, for a client under test.
 *
 * @example
 * ```ts
 * import { NexosClient } from "@nexos-effect/client"
 * import { MockGateway, Reply } from "@nexos-effect/testing"
 * import { Layer, Redacted } from "effect"
 *
 * const TestLayer = NexosClient.layer({ apiKey: Redacted.make(MockGateway.defaultApiKey) }).pipe(
 *   Layer.provideMerge(MockGateway.layerInMemory({ script: [Reply.text("hi")] }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInMemory = (options?: Options): Layer.Layer<MockGateway | HttpClient.HttpClient> =>
  Layer.scopedContext(
    Effect.map(
      makeInMemory(options),
      ({ client, gateway }) => Context.make(MockGateway, gateway).pipe(Context.add(HttpClient.HttpClient, client))
    )
  )

/**
 * A layer with a running gateway on a free port of 127.0.0.1, closed when the layer's scope closes.
 *
 * @example
 * ```ts
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { NexosClient } from "@nexos-effect/client"
 * import { MockGateway } from "@nexos-effect/testing"
 * import { Layer } from "effect"
 *
 * // NexosClient.layerConfig() reads NEXOS_API_KEY / NEXOS_BASE_URL from the gateway's ConfigProvider
 * const TestLayer = NexosClient.layerConfig().pipe(
 *   Layer.provide(NodeHttpClient.layerUndici),
 *   Layer.provide(MockGateway.layerConfigProvider),
 *   Layer.provideMerge(MockGateway.layer())
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<MockGateway, HttpServerError.ServeError> =>
  Layer.scoped(MockGateway, make(options))

/**
 * A `ConfigProvider` with `NEXOS_API_KEY` and `NEXOS_BASE_URL` pointing at the gateway, for clients built from
 * config.
 *
 * @since 0.1.0
 * @category config
 */
export const configProvider = (gateway: Pick<Service, "url" | "apiKey">): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromMap(new Map([["NEXOS_API_KEY", gateway.apiKey], ["NEXOS_BASE_URL", gateway.url]]))

/**
 * Sets the default `ConfigProvider` to `configProvider(gateway)`, so `NexosClient.layerConfig()` talks to the
 * gateway: `NexosClient.layerConfig().pipe(Layer.provide(MockGateway.layerConfigProvider))`.
 *
 * @since 0.1.0
 * @category config
 */
export const layerConfigProvider: Layer.Layer<never, never, MockGateway> = Layer.unwrapEffect(
  Effect.map(MockGateway, (gateway) => Layer.setConfigProvider(configProvider(gateway)))
)

/**
 * Runs a gateway until interrupted, logging its URL and key (`pnpm mock`). Use a fixed `port` to point other
 * programs at it.
 *
 * @since 0.1.0
 * @category running
 */
export const serve = (options?: Options): Effect.Effect<never, HttpServerError.ServeError> =>
  Effect.scoped(
    Effect.flatMap(make(options), (gateway) =>
      Effect.zipRight(
        Effect.log(`nexos mock gateway listening on ${gateway.url} (API key: ${gateway.apiKey}, pid ${process.pid})`),
        Effect.never
      ))
  )
