import { NodeHttpClient } from "@effect/platform-node"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Effect, Layer, Redacted } from "effect"

/** The client pointed at the embedded gateway over real sockets (undici), plus the gateway itself. */
export const clientOnMock = (gateway: MockGateway.Options = {}) =>
  Layer.unwrapEffect(
    Effect.map(
      MockGateway.MockGateway,
      (gw) => NexosClient.layer({ apiKey: Redacted.make(gw.apiKey), baseUrl: gw.url })
    )
  ).pipe(Layer.provide(NodeHttpClient.layerUndici), Layer.provideMerge(MockGateway.layer(gateway)))

/** The chat completion requests the gateway received, as JSON bodies. */
export const chatBodies = Effect.map(
  Effect.flatMap(MockGateway.MockGateway, (gw) => gw.requests),
  (requests) =>
    requests.filter((r) => r.path === "/v1/chat/completions").map((r) =>
      r.body as ChatCompletionRequest.ChatCompletionRequest
    )
)

export const ask = (content: string, extra: Partial<ChatCompletionRequest.ChatCompletionRequest> = {}) => ({
  model: "GPT 5.4 mini",
  messages: [{ role: "user" as const, content }],
  ...extra
})

/** The tool messages of a request body, in order. */
export const toolMessages = (body: ChatCompletionRequest.ChatCompletionRequest) =>
  body.messages.flatMap((m) => (m.role === "tool" ? [{ id: m.tool_call_id, content: m.content }] : []))
