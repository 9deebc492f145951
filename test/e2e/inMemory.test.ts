import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Effect, Either, Fiber, Layer, Redacted, Stream, TestClock } from "effect"

const request = { model: "GPT 5.4 mini", messages: [{ role: "user" as const, content: "hello" }] }

const inMemory = (options: MockGateway.Options = {}, client: Partial<NexosClient.Options> = {}) =>
  NexosClient.layer({ apiKey: Redacted.make(MockGateway.defaultApiKey), ...client }).pipe(
    Layer.provideMerge(MockGateway.layerInMemory(options))
  )

const onSockets = (options: MockGateway.Options = {}, client: Partial<NexosClient.Options> = {}) =>
  Layer.unwrapEffect(
    Effect.map(MockGateway.MockGateway, (gw) =>
      NexosClient.layer({ apiKey: Redacted.make(gw.apiKey), baseUrl: gw.url, ...client }))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici), Layer.provideMerge(MockGateway.layer(options)))

interface Scenario {
  readonly name: string
  readonly reply?: Reply.Reply
  readonly fault?: Fault.Fault
  readonly stream: boolean
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "text", reply: Reply.text("Hi there, friend."), stream: false },
  { name: "text streamed", reply: Reply.text("Hi there, friend."), stream: true },
  {
    name: "text, tool call and citation",
    reply: Reply.completion({
      text: "See the docs.",
      toolCalls: [{ name: "lookup", arguments: { q: "docs" }, id: "call_1" }],
      citations: [{ url: "https://example.com/docs", title: "docs" }]
    }),
    stream: true
  },
  { name: "an error reply", reply: Reply.error(400, { message: "bad field", param: "model" }), stream: false },
  { name: "a 429 fault", fault: Fault.rateLimited({ retryAfter: 1 }), stream: false },
  { name: "dropped before the response", fault: Fault.drop(0), stream: false },
  { name: "dropped mid-stream", fault: Fault.drop(3), stream: true },
  { name: "dropped mid-body", fault: Fault.drop(20), stream: false },
  { name: "an error frame", fault: Fault.errorFrame({ after: 2 }), stream: true },
  { name: "a malformed chunk", fault: Fault.malformed(2), stream: true },
  { name: "no [DONE]", fault: Fault.noDone, stream: true }
]

const outcome = (scenario: Scenario) =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const gateway = yield* MockGateway.MockGateway
    if (scenario.reply !== undefined) yield* gateway.enqueue(scenario.reply)
    if (scenario.fault !== undefined) yield* gateway.queueFaults(scenario.fault)
    const result = yield* Effect.either(
      scenario.stream
        ? ChatStream.accumulate(client.chat.completions.streamChunks(request))
        : client.chat.completions.create(request)
    )
    return Either.match(result, {
      onLeft: (error) => ({ error: error._tag, status: "status" in error ? error.status : undefined }),
      onRight: (completion) => ({ ...completion, id: "" })
    })
  })

describe("MockGateway.layerInMemory", () => {
  it.effect("answers a client with no socket, on the test clock", () =>
    Effect.gen(function*() {
      const client = yield* NexosClient.NexosClient
      const gateway = yield* MockGateway.MockGateway
      yield* gateway.enqueue(Reply.text("first"), Reply.text("second"))
      const completion = yield* client.chat.completions.create(request)
      assert.strictEqual(completion.choices[0]!.message.content, "first")
      const streamed = yield* Stream.runCollect(ChatStream.text(client.chat.completions.stream(request)))
      assert.strictEqual([...streamed].join(""), "second")
      const [first, second] = yield* gateway.requests
      assert.strictEqual(first!.path, "/v1/chat/completions")
      assert.strictEqual(first!.headers["authorization"], "Bearer <redacted>")
      assert.strictEqual((second!.body as { stream: boolean }).stream, true)
      assert.strictEqual(gateway.url, "http://mock.nexos.invalid/v1")

      yield* gateway.queueFaults(Fault.delay(5_000))
      const delayed = yield* Effect.fork(client.chat.completions.create(request))
      yield* TestClock.adjust("4 seconds")
      assert.isNull(delayed.unsafePoll())
      yield* TestClock.adjust("1 second")
      const late = yield* Fiber.join(delayed)
      assert.include(late.choices[0]!.message.content, "Hello from the nexos mock gateway")
    }).pipe(Effect.provide(inMemory())))

  it.effect("a client that gives up on a stalled stream is recorded as a disconnect", () =>
    Effect.gen(function*() {
      const client = yield* NexosClient.NexosClient
      const gateway = yield* MockGateway.MockGateway
      yield* gateway.queueFaults(Fault.stall(2))
      const fiber = yield* Effect.fork(Effect.either(Stream.runCollect(client.chat.completions.stream(request))))
      yield* gateway.awaitRequests(1)
      yield* TestClock.adjust("61 seconds")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.strictEqual(result.left._tag, "Timeout")
      const disconnect = yield* gateway.awaitDisconnect
      assert.strictEqual(disconnect.eventsSent, 2)
    }).pipe(Effect.provide(inMemory())))

  it.live("gives the same answers and failures as the gateway on a socket, for every scenario", () =>
    Effect.gen(function*() {
      for (const scenario of scenarios) {
        const memory = yield* outcome(scenario).pipe(Effect.provide(inMemory({}, { retry: RetryPolicy.none })))
        const socket = yield* outcome(scenario).pipe(Effect.provide(onSockets({}, { retry: RetryPolicy.none })))
        assert.deepStrictEqual(memory, socket, scenario.name)
      }
    }))
})
