import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Http from "node:http"

/** What the gateway does to the exchange it answers, on a socket or in memory. */
export interface Connection {
  /** The request body as text ("" when it cannot be read). */
  readonly body: Effect.Effect<string>
  /** Ends the exchange before the response is complete (graceful: after what was written). */
  readonly close: (graceful: boolean) => Effect.Effect<never>
  /** Calls `f` once if the client goes away before the response is complete. */
  readonly onClientGone: (f: () => void) => void
}

const maxBody = 32 * 1024 * 1024

const readBody = (source: Http.IncomingMessage): Effect.Effect<string> =>
  Effect.async<string>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBody) chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8")))
    }
    const onError = () => {
      cleanup()
      resume(Effect.succeed(""))
    }
    const cleanup = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
    }
    source.on("data", onData)
    source.once("end", onEnd)
    source.once("error", onError)
    return Effect.sync(cleanup)
  })

/** A request that came in on a Node socket. */
export const node = (request: HttpServerRequest.HttpServerRequest): Connection => {
  const res = NodeHttpServerRequest.toServerResponse(request)
  return {
    body: Effect.suspend(() => readBody(NodeHttpServerRequest.toIncomingMessage(request))),
    close: (graceful) =>
      Effect.async<never>(() => {
        const socket = res.socket
        if (socket === null || socket.destroyed) return
        if (graceful) socket.end(() => socket.destroy())
        else socket.destroy()
      }),
    onClientGone: (f) => {
      res.once("close", () => {
        if (!res.writableEnded) f()
      })
    }
  }
}

/** The state of one in-memory exchange, shared by the gateway and the in-memory `HttpClient`. */
export class Exchange {
  closed = false
  finished = false
  private gone: Array<() => void> = []

  constructor(signal: AbortSignal) {
    signal.addEventListener("abort", () => {
      if (this.finished || this.closed) return
      for (const f of this.gone) f()
      this.gone = []
    }, { once: true })
  }

  onGone(f: () => void): void {
    this.gone.push(f)
  }
}

/** The in-memory exchange of the current request, when there is one. */
export class CurrentExchange extends Context.Tag("@nexos-effect/testing/internal/CurrentExchange")<
  CurrentExchange,
  Exchange
>() {}

/** The defect an in-memory exchange ends with when the gateway closes it. */
export const closed: unique symbol = Symbol.for("@nexos-effect/testing/internal/closed")

/** A request handed over in memory by the in-memory `HttpClient`. */
export const memory = (request: HttpServerRequest.HttpServerRequest, exchange: Exchange): Connection => ({
  body: Effect.orElseSucceed(request.text, () => ""),
  close: () =>
    Effect.suspend(() => {
      exchange.closed = true
      return Effect.die(closed)
    }),
  onClientGone: (f) => exchange.onGone(f)
})
