import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import { Effect, Stream } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"

// A consumer that keeps only events must run a stream of any length in constant memory: the SSE decoder and the
// event state retain nothing per chunk. The bytes are generated lazily, 100 events per read.

v8.setFlagsFromString("--expose-gc")
const gc: () => void = vm.runInNewContext("gc")

const encoder = new TextEncoder()
const perRead = 100

const block = encoder.encode(
  Array.from({ length: perRead }, (_, i) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-mem",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta: { content: `token ${i} ` }, logprobs: null, finish_reason: null }],
        usage: null
      })
    }\n\n`).join("")
)
const tail = encoder.encode(
  `data: ${
    JSON.stringify({
      id: "chatcmpl-mem",
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }
    })
  }\n\ndata: [DONE]\n\n`
)

const sse = (chunks: number): Stream.Stream<Uint8Array> =>
  Stream.range(1, chunks / perRead).pipe(Stream.map(() => block), Stream.concat(Stream.succeed(tail)))

const heapMB = () => {
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

const run = (chunks: number, withTimeouts = false) =>
  Effect.gen(function*() {
    const before = heapMB()
    let peak = before
    let text = 0
    let n = 0
    const chunkStream = withTimeouts
      ? Stream.rechunk(sse(chunks), 1).pipe(
        ChatStream.decodeSse({ firstChunkTimeout: "60 seconds", idleTimeout: "60 seconds" })
      )
      : sse(chunks).pipe(ChatStream.decodeSse())
    yield* chunkStream.pipe(
      ChatStream.events(),
      Stream.runForEach((e) =>
        Effect.sync(() => {
          if (e._tag === "TextDelta") text++
          if (++n % 20_000 === 0) peak = Math.max(peak, heapMB())
        })
      )
    )
    return { text, events: n, growth: peak - before }
  })

describe("memory", () => {
  it.effect(
    "200,000 chunks through decodeSse + events in memory that does not grow with the length",
    () =>
      Effect.gen(function*() {
        const small = yield* run(20_000)
        const large = yield* run(200_000)
        assert.strictEqual(small.text, 20_000)
        assert.strictEqual(large.text, 200_000)
        assert.strictEqual(large.events, 200_000 + 3)
        assert.isBelow(large.growth, 4, `heap grew by ${large.growth.toFixed(1)} MB`)
        assert.isBelow(large.growth - small.growth, 2, "the growth does not depend on the length")
      }),
    { timeout: 20_000 }
  )

  it.effect(
    "the same with first-chunk and idle timeouts in decodeSse, one read per Chunk (as the client composes it)",
    () =>
      Effect.gen(function*() {
        const small = yield* run(20_000, true)
        const large = yield* run(200_000, true)
        assert.strictEqual(large.text, 200_000)
        assert.isBelow(large.growth, 4, `heap grew by ${large.growth.toFixed(1)} MB`)
        assert.isBelow(large.growth - small.growth, 2, "the growth does not depend on the length")
      }),
    { timeout: 30_000 }
  )
})
