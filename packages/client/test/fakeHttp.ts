import { HttpClient, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { Clock, Effect, Layer, Ref } from "effect"

export interface FakeReply {
  readonly status?: number
  readonly body?: string | object
  readonly headers?: Record<string, string>
  readonly hang?: boolean
  /** Body pieces sent one by one; when `stall` is set the body then stays open forever. */
  readonly pieces?: ReadonlyArray<string>
  readonly stall?: boolean
}

export interface Seen {
  readonly request: HttpClientRequest.HttpClientRequest
  readonly url: URL
  readonly at: number
  readonly signal: AbortSignal
  readonly body: string
}

const bodyText = (request: HttpClientRequest.HttpClientRequest): string =>
  request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""

const piecesBody = (pieces: ReadonlyArray<string>, stall: boolean, signal: AbortSignal) => {
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece))
      if (!stall) controller.close()
      signal.addEventListener("abort", () => controller.error(new Error("aborted")))
    }
  })
}

/** A fake HttpClient that answers from a script (the last reply repeats) and records every request. */
export const makeFake = (script: ReadonlyArray<FakeReply>) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<Seen>>([])
    const client = HttpClient.make((request, url, signal) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        const n = (yield* Ref.get(seen)).length
        yield* Ref.update(seen, (all) => [...all, { request, url, at, signal, body: bodyText(request) }])
        const reply = script[Math.min(n, script.length - 1)]!
        if (reply.hang) return yield* Effect.never
        const body = reply.pieces !== undefined
          ? piecesBody(reply.pieces, reply.stall === true, signal)
          : typeof reply.body === "string"
          ? reply.body
          : JSON.stringify(reply.body ?? {})
        return HttpClientResponse.fromWeb(
          request,
          new Response(body, { status: reply.status ?? 200, headers: reply.headers ?? {} })
        )
      })
    )
    return { seen, layer: Layer.succeed(HttpClient.HttpClient, client) }
  })

export const completionBody = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "hi", refusal: null }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, nexos_credits_cost: 0.001 }
}
