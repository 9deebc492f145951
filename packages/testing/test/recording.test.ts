import { assert, describe, it } from "@effect/vitest"
import { Fault, MockGateway } from "@nexos-effect/testing"
import { Config, Context, Effect, Fiber, Layer } from "effect"
import { bounded, chat, collect, get, parseSse, text, user } from "./helpers.js"

describe("request recording", () => {
  it.scopedLive("records method, path, redacted headers and the parsed body", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("one") }, { "x-custom": "yes" }), text)
      yield* Effect.flatMap(get(gateway, "/models?limit=1", { "x-api-key": gateway.apiKey }), text)
      const [first, second] = yield* gateway.awaitRequests(2)
      assert.strictEqual(first.method, "POST")
      assert.strictEqual(first.path, "/v1/chat/completions")
      assert.deepStrictEqual(first.body, { model: "m", messages: [{ role: "user", content: "one" }] })
      assert.strictEqual(first.headers["authorization"], "Bearer <redacted>")
      assert.strictEqual(first.headers["x-custom"], "yes")
      assert.match(first.id, /^req_mock_/)
      assert.strictEqual(second.method, "GET")
      assert.strictEqual(second.path, "/v1/models")
      assert.strictEqual(second.url, "/v1/models?limit=1")
      assert.strictEqual(second.headers["x-api-key"], "<redacted>")
      assert.isUndefined(second.body)
      assert.notInclude(JSON.stringify(yield* gateway.requests), gateway.apiKey)
      yield* gateway.reset
      assert.deepStrictEqual(yield* gateway.requests, [])
    })))

  it.scopedLive("notices a client that aborts mid-stream", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const waiting = yield* Effect.fork(gateway.awaitDisconnect)
      const controller = new AbortController()
      const response = yield* Effect.tryPromise(() =>
        fetch(`${gateway.url}/chat/completions`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${gateway.apiKey}`,
            "content-type": "application/json",
            ...Fault.header(Fault.drip(50))
          },
          body: JSON.stringify({ model: "m", messages: user("a long answer please"), stream: true }),
          signal: controller.signal
        })
      )
      const reader = response.body!.getReader()
      yield* Effect.promise(() => reader.read())
      yield* Effect.promise(() => reader.read())
      controller.abort()
      const disconnect = yield* Fiber.join(waiting)
      assert.strictEqual(disconnect.path, "/v1/chat/completions")
      assert.isAtLeast(disconnect.eventsSent, 1)
      assert.isBelow(disconnect.eventsSent, 10)
      assert.strictEqual(disconnect.requestId, (yield* gateway.requests)[0].id)
      assert.strictEqual((yield* gateway.disconnects).length, 1)
    })))

  it.scopedLive("a completed stream is not a disconnect; awaitDisconnects waits for a count", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const collected = yield* collect(
        yield* chat(gateway, { model: "m", messages: user("x"), stream: true }),
        1_000
      )
      assert.strictEqual(parseSse(collected.text).at(-1)?.data, "[DONE]")
      const none = yield* Effect.timeout(gateway.awaitDisconnects(1), "150 millis").pipe(Effect.option)
      assert.strictEqual(none._tag, "None")
    })))

  it.scopedLive("closing the scope closes stalled connections, so nothing hangs", () =>
    bounded(Effect.gen(function*() {
      const outcome = yield* Effect.scoped(Effect.gen(function*() {
        const gateway = yield* MockGateway.make()
        const response = yield* chat(gateway, { model: "m", messages: user("x"), stream: true }, {
          ...Fault.header(Fault.stall(1))
        })
        return collect(response, 5_000)
      }))
      const started = Date.now()
      const collected = yield* outcome
      assert.strictEqual(collected.ended, "error")
      assert.isBelow(Date.now() - started, 2_000)
    })))

  it.scopedLive("layerConfigProvider exposes NEXOS_API_KEY and NEXOS_BASE_URL", () =>
    bounded(
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        const [key, url] = yield* Effect.all([Config.string("NEXOS_API_KEY"), Config.string("NEXOS_BASE_URL")])
        assert.strictEqual(key, gateway.apiKey)
        assert.strictEqual(url, gateway.url)
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
      }).pipe(Effect.provide(Layer.provideMerge(MockGateway.layerConfigProvider, MockGateway.layer())))
    ))

  it.scopedLive("layerConfigProvider also feeds layers built from config (like NexosClient.layerConfig)", () =>
    bounded(Effect.gen(function*() {
      class Conf extends Context.Tag("Conf")<Conf, { readonly url: string }>() {}
      const fromConfig = Layer.effect(Conf, Effect.map(Config.string("NEXOS_BASE_URL"), (url) => ({ url })))
      const live = fromConfig.pipe(
        Layer.provide(MockGateway.layerConfigProvider),
        Layer.provideMerge(MockGateway.layer())
      )
      const [conf, gateway] = yield* Effect.all([Conf, MockGateway.MockGateway]).pipe(Effect.provide(live))
      assert.strictEqual(conf.url, gateway.url)
    })))
})
