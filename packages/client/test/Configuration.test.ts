import { HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import { Config, ConfigProvider, Effect, Exit, Layer, Redacted, Ref, Stream } from "effect"
import { completionBody, makeFake, runWithTestClock } from "./fakeHttp.js"

const request: ChatCompletionRequest.ChatCompletionRequest = { model: "m", messages: [{ role: "user", content: "hi" }] }

const sse = [
  `data: ${
    JSON.stringify({
      id: "c1",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: { content: "hi" }, finish_reason: "stop" }]
    })
  }\n\n`,
  "data: [DONE]\n\n"
]

const provider = (entries: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

describe("NexosClient.layerConfig", () => {
  it.effect("reads every option from its own Config, with plain values mixed in", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ body: completionBody }])
      const layer = NexosClient.layerConfig({
        apiKey: Config.redacted("MY_KEY"),
        baseUrl: Config.string("MY_URL"),
        authHeader: Config.literal("bearer", "x-api-key")("MY_AUTH"),
        userAgent: Config.string("MY_AGENT"),
        headers: { "x-team": "blue" }
      }).pipe(Layer.provide(fake.layer))
      const completion = yield* Effect.flatMap(NexosClient.NexosClient, (c) => c.chat.completions.create(request)).pipe(
        Effect.provide(layer),
        provider({
          MY_KEY: "secret-key",
          MY_URL: "http://127.0.0.1:9/custom/v1/",
          MY_AUTH: "x-api-key",
          MY_AGENT: "my-app/2.0",
          NEXOS_API_KEY: "not-this-one",
          NEXOS_BASE_URL: "http://127.0.0.1:8/v1"
        })
      )
      assert.strictEqual(completion.id, "chatcmpl-1")
      const [sent] = yield* Ref.get(fake.seen)
      assert.strictEqual(sent!.url.href, "http://127.0.0.1:9/custom/v1/chat/completions")
      assert.strictEqual(sent!.request.headers["x-api-key"], "secret-key")
      assert.isUndefined(sent!.request.headers["authorization"])
      assert.strictEqual(sent!.request.headers["user-agent"], "my-app/2.0")
      assert.strictEqual(sent!.request.headers["x-team"], "blue")
    }))

  it.effect("timeouts come from Config durations", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ hang: true }])
      const layer = NexosClient.layerConfig({
        timeout: Config.duration("NEXOS_TIMEOUT"),
        retry: RetryPolicy.none
      }).pipe(Layer.provide(fake.layer))
      const exit = yield* runWithTestClock(
        Effect.flatMap(NexosClient.NexosClient, (c) => c.chat.completions.create(request)).pipe(
          Effect.provide(layer),
          provider({ NEXOS_API_KEY: "k", NEXOS_TIMEOUT: "3 seconds" })
        ),
        "1 minute"
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause : undefined
      assert.include(String(error), "Timeout")
      assert.include(String(error), "3s")
    }))

  it.effect("every option of layer can come from a Config, the deadline and retryOn too", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ status: 503 }, { hang: true }])
      const layer = NexosClient.layerConfig({
        deadline: Config.duration("NEXOS_DEADLINE"),
        retryOn: Config.succeed(() => false),
        timeout: "1 hour"
      }).pipe(Layer.provide(fake.layer))
      const call = Effect.flatMap(NexosClient.NexosClient, (c) => c.chat.completions.create(request)).pipe(
        Effect.provide(layer),
        provider({ NEXOS_API_KEY: "k", NEXOS_DEADLINE: "2 seconds" })
      )
      const notRetried = yield* Effect.flip(call)
      assert.strictEqual(notRetried._tag, "ServerError")
      const exit = yield* runWithTestClock(call, "1 minute")
      const error = Exit.isFailure(exit) ? String(exit.cause) : ""
      assert.include(error, "Timeout")
      assert.include(error, "deadline")
    }))

  it.effect("defaults to NEXOS_API_KEY with the public base URL; a bad value fails naming its variable", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ body: completionBody }])
      yield* Effect.flatMap(NexosClient.NexosClient, (c) => c.chat.completions.create(request)).pipe(
        Effect.provide(NexosClient.layerConfig().pipe(Layer.provide(fake.layer))),
        provider({ NEXOS_API_KEY: "k" })
      )
      const [sent] = yield* Ref.get(fake.seen)
      assert.strictEqual(sent!.url.href, `${NexosClient.defaultBaseUrl}/chat/completions`)
      assert.strictEqual(sent!.request.headers["authorization"], "Bearer k")
      const bad = yield* Effect.exit(
        Effect.provide(
          NexosClient.NexosClient,
          NexosClient.layerConfig({ idleTimeout: Config.duration("NEXOS_IDLE") }).pipe(Layer.provide(fake.layer))
        ).pipe(provider({ NEXOS_API_KEY: "k", NEXOS_IDLE: "soon" }))
      )
      assert.isTrue(Exit.isFailure(bad))
      assert.include(String(Exit.isFailure(bad) ? bad.cause : ""), "NEXOS_IDLE")
    }))
})

describe("NexosClient transformClient", () => {
  it.effect("is applied once, when the client is built, and every attempt of every call goes through it", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([
        { status: 503 },
        { body: completionBody },
        { pieces: sse, headers: { "content-type": "text/event-stream" } },
        { pieces: sse, headers: { "content-type": "text/event-stream" } },
        { body: { object: "list", data: [] } }
      ])
      let built = 0
      const passed = yield* Ref.make<ReadonlyArray<string>>([])
      const transformClient = (client: HttpClient.HttpClient) => {
        built++
        return client.pipe(
          HttpClient.mapRequest(HttpClientRequest.setHeader("x-proxy", "on")),
          HttpClient.tapRequest((r) => Ref.update(passed, (all) => [...all, r.url]))
        )
      }
      const layer = NexosClient.layer({
        apiKey: Redacted.make("k"),
        transformClient,
        retry: RetryPolicy.make({ maxRetries: 1, initialDelay: "1 millis" })
      }).pipe(Layer.provide(fake.layer))
      const exit = yield* runWithTestClock(
        Effect.gen(function*() {
          const client = yield* NexosClient.NexosClient
          assert.strictEqual(built, 1)
          yield* client.chat.completions.create(request)
          yield* Stream.runDrain(client.chat.completions.stream(request))
          yield* Stream.runDrain(client.chat.completions.streamWithCompletion(request))
          yield* client.models.list()
        }).pipe(Effect.provide(layer)),
        "1 minute"
      )
      assert.isTrue(Exit.isSuccess(exit), String(exit))
      assert.strictEqual(built, 1)
      const seen = yield* Ref.get(fake.seen)
      assert.strictEqual(seen.length, 5)
      assert.deepStrictEqual(seen.map((s) => s.request.headers["x-proxy"]), ["on", "on", "on", "on", "on"])
      assert.deepStrictEqual(yield* Ref.get(passed), seen.map((s) => s.request.url))
    }))

  it.effect("layerConfig passes it on", () =>
    Effect.gen(function*() {
      const fake = yield* makeFake([{ body: completionBody }])
      const layer = NexosClient.layerConfig({
        transformClient: HttpClient.mapRequest(HttpClientRequest.setHeader("x-proxy", "config"))
      }).pipe(Layer.provide(fake.layer))
      yield* Effect.flatMap(NexosClient.NexosClient, (c) => c.chat.completions.create(request)).pipe(
        Effect.provide(layer),
        provider({ NEXOS_API_KEY: "k" })
      )
      const [sent] = yield* Ref.get(fake.seen)
      assert.strictEqual(sent!.request.headers["x-proxy"], "config")
    }))
})
