/**
 * Dependency injection: `ask` below only needs the `NexosClient` service, so which gateway answers is decided by
 * the Layer it is given, never by the program. Both Layers here are the production one, `NexosClient.layerConfig()`
 * (reads `NEXOS_API_KEY` and `NEXOS_BASE_URL`); for the embedded mock, `MockGateway.layerConfigProvider` points that
 * config at a `MockGateway` started in-process. The real gateway is used only when `NEXOS_API_KEY` is set. The
 * transport (`HttpClient`) is left to the caller: the tour and `Backend.runMain` provide undici.
 *
 * Run alone: `node examples/dist/dependency-injection.js`
 */
import { NexosClient, ResponseMeta } from "@nexos-effect/client"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import { MockGateway } from "@nexos-effect/testing"
import { Console, Effect, Layer, Option } from "effect"
import * as Backend from "./backend.js"

// The program: knows nothing about where its client comes from.
const ask = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient
  const completion = yield* nexos.chat.completions.create({
    model: Backend.model,
    messages: [{ role: "user", content: "Which backend am I talking to?" }]
  })
  return {
    answer: ChatCompletion.text(completion),
    requestId: ResponseMeta.get(completion).pipe(Option.map((m) => m.requestId), Option.getOrUndefined)
  }
})

// Production wiring: config from the environment.
const NexosReal = NexosClient.layerConfig()

// Test wiring: the same layer, its config served by an embedded gateway with a scripted default answer.
const NexosMock = NexosClient.layerConfig().pipe(
  Layer.provide(MockGateway.layerConfigProvider),
  Layer.provide(MockGateway.layer({ answer: "You are talking to the embedded mock gateway." }))
)

export const program = Effect.gen(function*() {
  const onMock = yield* Effect.provide(ask, NexosMock)
  yield* Console.log(`mock gateway: ${onMock.answer} (request ${onMock.requestId})`)

  if (!(yield* Backend.isLive)) {
    yield* Console.log("real gateway: skipped (set NEXOS_API_KEY to run the same program against it)")
    return { mock: onMock, real: undefined }
  }
  const onReal = yield* Effect.provide(ask, NexosReal)
  yield* Console.log(`real gateway: ${onReal.answer} (request ${onReal.requestId})`)
  return { mock: onMock, real: onReal }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
