import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import * as Connection from "./connection.js"
import * as Gateway from "./gateway.js"

/** The origin of an in-memory gateway (`.invalid` never resolves, so nothing can leave the process by mistake). */
export const origin = "http://mock.nexos.invalid"

type Body = NonNullable<RequestInit["body"]>

/** An `HttpClient` that hands every request to the gateway in memory, whatever its URL. */
export const client = (state: Gateway.GatewayState, runtime: Runtime.Runtime<never>): HttpClient.HttpClient => {
  const handler = HttpApp.toWebHandlerRuntime(runtime)(Gateway.app(state))
  return HttpClient.make((request, url, signal) => {
    const send = (body: Body | undefined) =>
      Effect.map(
        Effect.tryPromise({
          try: async () => {
            const exchange = new Connection.Exchange(signal)
            const response = await handler(
              new Request(url, {
                method: request.method,
                headers: request.headers,
                ...(body === undefined ? {} : { body }),
                ...(request.body._tag === "Stream" ? { duplex: "half" } : {}),
                signal
              }),
              Context.make(Connection.CurrentExchange, exchange)
            )
            if (exchange.closed) throw new Error("The mock gateway closed the connection before the response (a fault)")
            if (response.body === null) {
              exchange.finished = true
              return response
            }
            const piped = response.body.pipeThrough(
              new TransformStream<Uint8Array, Uint8Array>({
                flush: () => {
                  exchange.finished = true
                }
              })
            )
            return new Response(piped, { status: response.status, headers: response.headers })
          },
          catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
        }),
        (response) => HttpClientResponse.fromWeb(request, response)
      )
    switch (request.body._tag) {
      case "Raw":
        return send(request.body.body as Body)
      case "Uint8Array":
        return send(request.body.body)
      case "FormData":
        return send(request.body.formData)
      case "Stream":
        return Effect.flatMap(Stream.toReadableStreamEffect(request.body.stream), send)
      case "Empty":
        return send(undefined)
    }
  })
}
