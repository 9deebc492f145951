import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Fault, MockGateway, Recorder } from "@nexos-effect/testing"
import { Effect, Layer, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { bounded, chat, collect, parseSse, post, text, user } from "./helpers.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-recorder-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const streamRequest = { model: "m", messages: user("record me"), stream: true, stream_options: { include_usage: true } }
const jsonRequest = { model: "m", messages: user("record me too"), tools: [{ type: "web_search" }] }

describe("record and replay", () => {
  it.scopedLive("Recorder.layer writes each response as it streams; replay serves the same bytes", () =>
    bounded(Effect.gen(function*() {
      const dir = yield* tempDir
      const live = yield* MockGateway.make({ answer: "Recorded answer." })
      const send = (path: string, body: unknown) =>
        Effect.flatMap(HttpClient.HttpClient, (client) =>
          client.execute(
            HttpClientRequest.post(`${live.url}${path}`).pipe(
              HttpClientRequest.bearerToken(live.apiKey),
              HttpClientRequest.bodyUnsafeJson(body)
            )
          ))
      const recorded = yield* Effect.gen(function*() {
        const streamed = yield* send("/chat/completions", streamRequest)
        const pieces = yield* Stream.runCollect(Stream.decodeText(streamed.stream))
        const json = yield* Effect.flatMap(send("/chat/completions", jsonRequest), (r) => r.text)
        const embeddings = yield* Effect.flatMap(
          send("/embeddings", { model: "e", input: "x", dimensions: 4 }),
          (r) => r.text
        )
        return { sse: [...pieces].join(""), json, embeddings }
      }).pipe(Effect.provide(Recorder.layer({ dir }).pipe(Layer.provide(FetchHttpClient.layer))))
      assert.strictEqual(parseSse(recorded.sse).at(-1)?.data, "[DONE]")
      const files = Fs.readdirSync(dir).filter((f) => f.endsWith(".json"))
      assert.strictEqual(files.length, 3)
      const sseKey = Recorder.key("POST", "/v1/chat/completions", JSON.stringify(streamRequest))
      const recording = JSON.parse(Fs.readFileSync(Recorder.file(dir, sseKey), "utf8"))
      assert.strictEqual(recording.response.status, 200)
      assert.strictEqual(recording.response.body, recorded.sse)
      assert.strictEqual(recording.request.path, "/v1/chat/completions")
      assert.deepStrictEqual(recording.request.body, streamRequest)
      assert.notInclude(JSON.stringify(recording), live.apiKey)

      const replay = yield* MockGateway.make({ replay: { dir } })
      const sse = yield* chat(replay, streamRequest)
      assert.match(sse.headers.get("content-type") ?? "", /^text\/event-stream/)
      assert.strictEqual(sse.headers.get("x-nexos-cache"), "miss")
      assert.strictEqual(yield* text(sse), recorded.sse)
      const reordered = { tools: jsonRequest.tools, messages: jsonRequest.messages, model: "m" }
      assert.strictEqual(yield* Effect.flatMap(chat(replay, reordered), text), recorded.json)
      const embeddings = yield* post(replay, "/embeddings", { model: "e", input: "x", dimensions: 4 })
      assert.strictEqual(yield* text(embeddings), recorded.embeddings)
      assert.strictEqual((yield* replay.requests).length, 3)
    })))

  it.scopedLive("a request without a recording is a 404, unless fallback generates an answer", () =>
    bounded(Effect.gen(function*() {
      const dir = yield* tempDir
      const strict = yield* MockGateway.make({ replay: { dir } })
      const missing = yield* chat(strict, { model: "m", messages: user("never recorded") })
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(JSON.parse(yield* text(missing)).error.code, "mock_no_recording")
      const lenient = yield* MockGateway.make({ replay: { dir, fallback: true } })
      assert.strictEqual((yield* chat(lenient, { model: "m", messages: user("never recorded") })).status, 200)
    })))

  it.scopedLive("stream faults apply to replayed SSE", () =>
    bounded(Effect.gen(function*() {
      const dir = yield* tempDir
      const body = JSON.stringify(streamRequest)
      const sse = Array.from({ length: 6 }, (_, i) => `data: {"i":${i}}\n\n`).join("") + "data: [DONE]\n\n"
      Fs.writeFileSync(
        Recorder.file(dir, Recorder.key("POST", "/proxy/v1/chat/completions", body)),
        JSON.stringify({
          version: 1,
          key: "k",
          request: { method: "POST", path: "/v1/chat/completions", body: streamRequest },
          response: { status: 200, headers: { "content-type": "text/event-stream" }, body: sse }
        })
      )
      const replay = yield* MockGateway.make({ replay: { dir } })
      const collected = yield* collect(yield* chat(replay, body, { ...Fault.header(Fault.drop(3)) }))
      assert.strictEqual(collected.ended, "error")
      assert.deepStrictEqual(parseSse(collected.text).map((e) => e.data), ["{\"i\":0}", "{\"i\":1}", "{\"i\":2}"])
    })))
})
