import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Recorder from "@nexos-effect/testing/Recorder"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-recorder-e2e-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const ask = (content: string) => ({ model: "GPT 5.4 mini", messages: [{ role: "user" as const, content }] })

const withClient = <A, E>(
  gateway: MockGateway.Service,
  recordTo: string | undefined,
  f: (client: NexosClient.Service) => Effect.Effect<A, E>
) =>
  Effect.flatMap(NexosClient.NexosClient, f).pipe(
    Effect.provide(
      NexosClient.layer({ apiKey: Redacted.make(gateway.apiKey), baseUrl: gateway.url }).pipe(
        Layer.provide(
          recordTo === undefined
            ? NodeHttpClient.layerUndici
            : Recorder.layer({ dir: recordTo }).pipe(Layer.provide(NodeHttpClient.layerUndici))
        )
      )
    )
  )

const run = (client: NexosClient.Service) =>
  Effect.gen(function*() {
    const events = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chat.completions.stream(ask("stream me"))))
    const accumulated = yield* ChatStream.accumulate(client.chat.completions.streamChunks(ask("chunks please")))
    const completion = yield* client.chat.completions.create(ask("plain, please"))
    return {
      text: events.flatMap((e) => e._tag === "TextDelta" ? [e.delta] : []).join(""),
      tags: events.map((e) => e._tag),
      accumulated: accumulated.choices[0]!.message.content,
      completion: completion.choices[0]!.message.content
    }
  })

describe("Recorder through NexosClient (real sockets)", () => {
  it.scopedLive("records the streams and completions the client reads; a replay gives the client the same answers", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const live = yield* MockGateway.make({ answer: "A recorded answer, word by word." })
      const recorded = yield* withClient(live, dir, run)
      assert.strictEqual(recorded.text, "A recorded answer, word by word.")
      assert.strictEqual(recorded.accumulated, "A recorded answer, word by word.")
      assert.deepStrictEqual(recorded.tags.slice(-2), ["Finish", "Usage"])
      const files = Fs.readdirSync(dir).filter((f) => f.endsWith(".json"))
      assert.strictEqual(files.length, 3)
      for (const file of files) assert.notInclude(Fs.readFileSync(Path.join(dir, file), "utf8"), live.apiKey)

      const replay = yield* MockGateway.make({ replay: { dir } })
      const replayed = yield* withClient(replay, undefined, run)
      assert.deepStrictEqual(replayed, recorded)
      assert.strictEqual((yield* replay.requests).length, 3)
    }).pipe(Effect.timeout("20 seconds")))

  it.scopedLive("a stream the client abandons before [DONE] is not recorded, so a replay never serves half an answer", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const live = yield* MockGateway.make({ answer: "one two three four five six seven eight nine ten" })
      const firstTwo = yield* withClient(live, dir, (client) =>
        Stream.runCollect(
          client.chat.completions.stream(ask("abandon me"), { headers: Fault.header(Fault.drip(40)) }).pipe(
            Stream.filter((e) => e._tag === "TextDelta"),
            Stream.take(2)
          )
        ))
      assert.strictEqual(firstTwo.length, 2)
      assert.deepStrictEqual(Fs.readdirSync(dir).filter((f) => f.endsWith(".json")), [])

      const replay = yield* MockGateway.make({ replay: { dir } })
      const error = yield* withClient(
        replay,
        undefined,
        (client) => Effect.flip(Stream.runDrain(client.chat.completions.stream(ask("abandon me"))))
      )
      assert.strictEqual(error._tag, "NotFound")
    }).pipe(Effect.timeout("20 seconds")))
})
