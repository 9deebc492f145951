import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as Upload from "@nexos-effect/client/Upload"
import * as Images from "@nexos-effect/schema/Images"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Effect, Layer, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { clientOnMock } from "./layers.js"

const nexos = NexosClient.NexosClient
const layer = Layer.merge(clientOnMock(), NodeFileSystem.layer)

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-media-test-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

describe("audio and images against the embedded gateway (real sockets)", () => {
  it.scopedLive("speech streams to a file; the file transcribes back to the input in every format", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempDir
      const input = "Hello from nexos. The batch finished at noon. Everything is fine."
      const path = Path.join(dir, "speech.wav")
      yield* client.audio.speech({ model: "tts-1", input, voice: "coral", response_format: "wav" }).pipe(
        Stream.run(fs.sink(path))
      )
      const size = Fs.statSync(path).size
      assert.strictEqual(size, input.length * 1024)
      assert.isTrue(Fs.readFileSync(path).subarray(0, 14).toString() === "MOCKAUDIO wav ")

      const file = Upload.fromPath(path)
      const model = "whisper-1"
      const json = yield* client.audio.transcriptions.create(file, { model })
      assert.deepStrictEqual({ ...json }, { text: input, model, format: "json" })
      const verbose = yield* client.audio.transcriptions.create(file, {
        model,
        response_format: "verbose_json",
        timestamp_granularities: ["word", "segment"],
        language: "en"
      })
      assert.strictEqual(verbose.text, input)
      assert.strictEqual(verbose.language, "en")
      assert.strictEqual(verbose.duration, 4.4)
      assert.deepStrictEqual(verbose.words!.map((w) => w.word), input.split(" "))
      assert.deepStrictEqual(verbose.segments!.map((s) => s.text), [
        "Hello from nexos.",
        "The batch finished at noon.",
        "Everything is fine."
      ])
      const text = yield* client.audio.transcriptions.create(file, { model, response_format: "text" })
      assert.deepStrictEqual({ ...text }, { text: input, format: "text" })
      const srt = yield* client.audio.transcriptions.create(file, { model, response_format: "srt" })
      assert.strictEqual(srt.format, "srt")
      assert.isTrue(srt.text.startsWith("1\n00:00:00,000 --> 00:00:01,200\nHello from nexos.\n"), srt.text)
      const vtt = yield* client.audio.transcriptions.create(file, { model, response_format: "vtt" })
      assert.isTrue(vtt.text.startsWith("WEBVTT\n\n00:00:00.000 --> 00:00:01.200\nHello from nexos."), vtt.text)
      const translated = yield* client.audio.translations.create(
        Upload.fromText("Guten Tag.", { filename: "de.mp3" }),
        { model, response_format: "verbose_json" }
      )
      assert.strictEqual(translated.text, "[English] Guten Tag.")
      assert.strictEqual(translated.language, "english")

      const requests = yield* (yield* MockGateway.MockGateway).requests
      const verboseRequest = requests.filter((r) => r.path === "/v1/audio/transcriptions")[1]!
      assert.deepStrictEqual(verboseRequest.body, {
        fields: {
          model,
          language: "en",
          response_format: "verbose_json",
          "timestamp_granularities[]": ["word", "segment"]
        },
        files: [{ key: "file", filename: "speech.wav", bytes: size }]
      })
    }).pipe(Effect.provide(layer)))

  it.scopedLive("bad audio requests fail before sending, naming the field", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const long = yield* Effect.flip(
        Stream.runDrain(client.audio.speech({ model: "tts-1", input: "x".repeat(4097), voice: "alloy" }))
      )
      assert.strictEqual(long._tag, "InvalidRequest")
      assert.include(long.message, "input")
      const speed = yield* Effect.flip(
        Stream.runDrain(client.audio.speech({ model: "tts-1", input: "x", voice: "alloy", speed: 5 }))
      )
      assert.include(speed.message, "speed")
      const granularity = yield* Effect.flip(
        client.audio.transcriptions.create(Upload.fromText("x", { filename: "a.mp3" }), {
          model: "whisper-1",
          timestamp_granularities: ["word"]
        })
      )
      assert.include(granularity.message, "verbose_json")
      assert.strictEqual((yield* (yield* MockGateway.MockGateway).requests).length, 0)
    }).pipe(Effect.provide(layer)))

  it.scopedLive("image generations as url and as b64_json", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const urls = yield* client.images.generate({ model: "dall-e-3", prompt: "a lighthouse", n: 2 })
      assert.strictEqual(urls.data.length, 2)
      for (const image of urls.data) {
        assert.match(image.url!, /^https:\/\/images\.mock\.nexos\.invalid\/[0-9a-f]+\.png$/)
        assert.strictEqual(image.revised_prompt, "A vivid 1024x1024 image of a lighthouse")
      }
      assert.notStrictEqual(urls.data[0]!.url, urls.data[1]!.url)
      const inline = yield* client.images.generate({
        model: "dall-e-3",
        prompt: "a lighthouse",
        response_format: "b64_json",
        size: "256x256",
        style: "natural"
      })
      const bytes = Images.bytes(inline.data[0]!)!
      assert.deepStrictEqual([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(""), "PNG")
      assert.strictEqual(inline.data[0]!.revised_prompt, "A natural 256x256 image of a lighthouse")
      const bad = yield* Effect.flip(client.images.generate({ model: "dall-e-3", prompt: "x", n: 11 }))
      assert.strictEqual(bad._tag, "InvalidRequest")
      assert.include(bad.message, "n")
    }).pipe(Effect.provide(layer)))
})
