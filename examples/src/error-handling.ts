/**
 * Typed errors: every failure of the client is a tagged `NexosError` carrying what you need to act on it (status,
 * code, message, request id, headers, `isRetryable`), so handlers pick errors by tag with `Effect.catchTag` /
 * `Effect.catchTags` and the compiler knows what is left. Shown: a request rejected before sending, a wrong API key,
 * and, on the embedded `MockGateway`, faults injected per request (`Fault.header`): HTTP errors, an error frame inside
 * a 200 stream, and a 429 whose `retry-after-ms` the default retry policy honours.
 *
 * Run alone: `node examples/dist/error-handling.js`
 */
import { ChatStream, NexosClient, type NexosError, RetryPolicy } from "@nexos-effect/client"
import { Fault, MockGateway } from "@nexos-effect/testing"
import { Config, Console, Duration, Effect, Option, Redacted, Stream } from "effect"
import * as Backend from "./backend.js"

// What a handler can act on: printed here, and returned (the tests check it).
const report = (e: NexosError.NexosError) => {
  const status = "status" in e ? e.status : undefined
  const code = "code" in e ? e.code : undefined
  return Effect.as(
    Console.log(`${e._tag}: status ${status ?? "-"}, code ${code ?? "-"}, retryable ${e.isRetryable}\n  ${e.message}`),
    { tag: e._tag, status, code, message: e.message, isRetryable: e.isRetryable }
  )
}

// Each call below is meant to fail; succeeding would be a bug in this demo.
const unexpected = Effect.dieMessage("the call was expected to fail")

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient
  const ask = { model: Backend.model, messages: [{ role: "user" as const, content: "Hello" }] }
  const gateway = yield* Effect.serviceOption(MockGateway.MockGateway)

  // Rejected by the client before any byte is sent: n must be 1..128.
  const invalid = yield* nexos.chat.completions.create({ ...ask, n: 0 }).pipe(
    Effect.zipRight(unexpected),
    Effect.catchTag("InvalidRequest", report)
  )

  // A second client with a wrong key (same transport, same base URL): 401.
  const baseUrl = yield* Option.match(gateway, {
    onSome: (g) => Effect.succeed(g.url),
    onNone: () => Config.string("NEXOS_BASE_URL").pipe(Config.withDefault(NexosClient.defaultBaseUrl))
  })
  const wrongKey = yield* NexosClient.make({ apiKey: Redacted.make("sk-wrong-key"), baseUrl })
  const unauthorized = yield* wrongKey.models.list().pipe(
    Effect.zipRight(unexpected),
    Effect.catchTag("AuthenticationError", report)
  )

  if (Option.isNone(gateway)) {
    yield* Console.log("fault injection skipped: it needs the embedded MockGateway (unset NEXOS_API_KEY)")
    return { errors: [invalid, unauthorized], retry: undefined }
  }

  // Injected HTTP errors, without retries so each one surfaces at once.
  const http = yield* Effect.forEach(
    [402, 429, 503],
    (status) =>
      nexos.chat.completions.create(ask, { headers: Fault.header(Fault.status(status)), retry: RetryPolicy.none }).pipe(
        Effect.zipRight(unexpected),
        Effect.catchTags({ OutOfCredits: report, RateLimited: report, ServerError: report })
      )
  )

  // An error frame after three events of a 200 stream.
  const frame = Fault.errorFrame({ after: 3, error: { message: "upstream overloaded", code: 529 } })
  const streamError = yield* nexos.chat.completions.stream(ask, { headers: Fault.header(frame) }).pipe(
    ChatStream.text(),
    Stream.runDrain,
    Effect.zipRight(unexpected),
    Effect.catchTag("StreamError", report)
  )

  // Two 429s with retry-after-ms: 50, then success: the default policy waits what the server asks, twice.
  const before = (yield* gateway.value.requests).length
  const rateLimited = Fault.failFirst(2, Fault.rateLimited({ retryAfterMs: 50 }))
  const [elapsed] = yield* Effect.timed(nexos.chat.completions.create(ask, { headers: Fault.header(rateLimited) }))
  const attempts = (yield* gateway.value.requests).length - before
  const elapsedMs = Math.round(Duration.toMillis(elapsed))
  yield* Console.log(`retried: succeeded on attempt ${attempts} after ${elapsedMs} ms (2 x retry-after-ms 50)`)

  return { errors: [invalid, unauthorized, ...http, streamError], retry: { attempts, elapsedMs } }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
