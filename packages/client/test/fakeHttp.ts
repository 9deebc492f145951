import { HttpClient, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { Clock, Duration, Effect, Fiber, Layer, Option, Ref, TestClock } from "effect"

export interface FakeReply {
  readonly status?: number
  readonly body?: string | object
  readonly headers?: Record<string, string>
  readonly hang?: boolean
  /** Body pieces sent one by one; when `stall` is set the body then stays open forever. */
  readonly pieces?: ReadonlyArray<string>
  readonly stall?: boolean
  /** After the pieces, the SSE comment `: ping` every `pingEveryMs` of the (test) clock until the request ends. */
  readonly pingEveryMs?: number
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

const encoder = new TextEncoder()

const piecesBody = (pieces: ReadonlyArray<string>, stall: boolean, signal: AbortSignal) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece))
      if (!stall) controller.close()
      signal.addEventListener("abort", () => controller.error(new Error("aborted")))
    }
  })

const pingingBody = (pieces: ReadonlyArray<string>, everyMs: number, signal: AbortSignal) =>
  Effect.gen(function*() {
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c
        for (const piece of pieces) c.enqueue(encoder.encode(piece))
      }
    })
    signal.addEventListener("abort", () => controller.error(new Error("aborted")))
    const ping: Effect.Effect<void> = Effect.suspend(() =>
      signal.aborted ? Effect.void : Effect.zipRight(
        Effect.sleep(everyMs),
        Effect.suspend(() => {
          if (signal.aborted) return Effect.void
          controller.enqueue(encoder.encode(": ping\n\n"))
          return ping
        })
      )
    )
    yield* Effect.forkDaemon(ping)
    return body
  })

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
        const body = reply.pingEveryMs !== undefined
          ? yield* pingingBody(reply.pieces ?? [], reply.pingEveryMs, signal)
          : reply.pieces !== undefined
          ? piecesBody(reply.pieces, reply.stall === true, signal)
          : typeof reply.body === "string"
          ? reply.body
          : JSON.stringify(reply.body ?? {})
        const response = HttpClientResponse.fromWeb(
          request,
          new Response(body, { status: reply.status ?? 200, headers: reply.headers ?? {} })
        )
        if (typeof body === "string") Object.defineProperty(response, "text", { value: Effect.succeed(body) })
        return response
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

const realTick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/**
 * Runs an effect on a forked fiber and moves the TestClock forward in `step`s, giving the fiber real time to run
 * between steps, until it ends or `limit` of test time has passed. Robust to a loaded machine, unlike one big
 * `TestClock.adjust` (a sleep registered after the adjust started would never fire).
 */
export const runWithTestClock = <A, E>(
  effect: Effect.Effect<A, E>,
  limit: Duration.DurationInput = "5 minutes",
  step: Duration.DurationInput = "50 millis"
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    const steps = Math.ceil(Duration.toMillis(limit) / Duration.toMillis(step))
    for (let i = 0; i < steps; i++) {
      yield* realTick
      if (Option.isSome(yield* Fiber.poll(fiber))) break
      yield* TestClock.adjust(step)
    }
    yield* realTick
    return yield* Fiber.await(fiber)
  })
