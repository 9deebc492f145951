/**
 * The backend every example runs against, picked by Layer: the embedded `MockGateway` (a real HTTP server started
 * in-process on a free port of 127.0.0.1: no network, no key) or, when `NEXOS_API_KEY` is set, the real nexos.ai
 * gateway via `NexosClient.layerUndiciConfig()` (the client on its own undici transport). The examples only ask for
 * `NexosClient` (and `HttpClient` when they build a client of their own, provided here by `NodeHttpClient`); the
 * transport is chosen here at the edge, never in the examples.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import { NexosClient } from "@nexos-effect/client"
import { MockGateway } from "@nexos-effect/testing"
import { Config, type ConfigError, Console, Effect, Layer, Option, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Url from "node:url"

/** The model the examples ask for: `NEXOS_MODEL`, default `GPT 5.4 mini` (the mock accepts any name). */
export const model = process.env.NEXOS_MODEL ?? "GPT 5.4 mini"

/** What the examples need from their backend. */
export type Services = NexosClient.NexosClient | HttpClient.HttpClient

/** True when `NEXOS_API_KEY` is set: the examples then talk to the real gateway. */
export const isLive: Effect.Effect<boolean> = Config.option(Config.nonEmptyString("NEXOS_API_KEY")).pipe(
  Effect.map(Option.isSome),
  Effect.orElseSucceed(() => false)
)

/** The client pointed at an embedded `MockGateway`, plus the gateway itself (for fault injection) and the transport. */
export const mock = (options?: MockGateway.Options) =>
  Layer.unwrapEffect(
    Effect.map(MockGateway.MockGateway, (gateway) =>
      NexosClient.layerUndici({ apiKey: Redacted.make(gateway.apiKey), baseUrl: gateway.url }))
  ).pipe(Layer.provideMerge(MockGateway.layer(options)), Layer.merge(NodeHttpClient.layerUndici))

/** The client for the real gateway, configured from `NEXOS_API_KEY` and `NEXOS_BASE_URL`. */
export const live = Layer.merge(NexosClient.layerUndiciConfig(), NodeHttpClient.layerUndici)

/** `live` when `NEXOS_API_KEY` is set, else `mock()`. */
export const layer: Layer.Layer<Services, ConfigError.ConfigError | HttpServerError.ServeError> = Layer.unwrapEffect(
  Effect.map(
    isLive,
    (useLive): Layer.Layer<Services, ConfigError.ConfigError | HttpServerError.ServeError> => useLive ? live : mock()
  )
)

/** Whether the module at `moduleUrl` (`import.meta.url`) is the program node was started with. */
export const isMain = (moduleUrl: string): boolean => {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return Fs.realpathSync(entry) === Fs.realpathSync(Url.fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}

/** Runs one example on its own (`node examples/dist/<name>.js`): exit code 0 on success, 1 on failure. */
export const runMain = <A, E>(program: Effect.Effect<A, E, Services>): void =>
  Effect.gen(function*() {
    const useLive = yield* isLive
    yield* Console.log(
      useLive ? "(real gateway: NEXOS_API_KEY is set)" : "(embedded mock gateway; set NEXOS_API_KEY for the real one)"
    )
    return yield* program
  }).pipe(Effect.provide(layer), NodeRuntime.runMain)
