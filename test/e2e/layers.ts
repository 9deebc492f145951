import { NodeHttpClient } from "@effect/platform-node"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Effect, Layer, Redacted } from "effect"

/** The client pointed at the embedded gateway, over real sockets (undici), plus the gateway itself. */
export const clientOnMock = (
  gateway: MockGateway.Options = {},
  client: Partial<Omit<NexosClient.Options, "apiKey" | "baseUrl">> = {}
) =>
  Layer.unwrapEffect(
    Effect.map(MockGateway.MockGateway, (gw) =>
      NexosClient.layer({ apiKey: Redacted.make(gw.apiKey), baseUrl: gw.url, ...client }))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici), Layer.provideMerge(MockGateway.layer(gateway)))

/** The same over `NexosClient.layerUndici` (the client's own transport, abort timers instead of fibers). */
export const undiciClientOnMock = (
  gateway: MockGateway.Options = {},
  client: Partial<Omit<NexosClient.UndiciOptions, "apiKey" | "baseUrl">> = {}
) =>
  Layer.unwrapEffect(
    Effect.map(MockGateway.MockGateway, (gw) =>
      NexosClient.layerUndici({ apiKey: Redacted.make(gw.apiKey), baseUrl: gw.url, ...client }))
  ).pipe(Layer.provideMerge(MockGateway.layer(gateway)))
