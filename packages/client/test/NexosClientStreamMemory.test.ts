import { HttpClient, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"

// On `layer` (any HttpClient) the stream timeouts must not keep the body's reads alive: a 64 KiB read that
// outlives the young generation's collections is promoted and keeps its bytes until a major GC, so the buffers
// not yet reclaimed grow with the stream (RSS grew 38 -> 68 MB from 20k to 200k chunks). Buffers are counted
// without forcing a collection: the point is what dies young.

v8.setFlagsFromString("--expose-gc")
const gc: () => void = vm.runInNewContext("gc")

const encoder = new TextEncoder()
const event = (i: number) =>
  `data: ${JSON.stringify({ id: "c", model: "m", choices: [{ index: 0, delta: { content: `token ${i} ` } }] })}\n\n`
const block = encoder.encode(Array.from({ length: 600 }, (_, i) => event(i)).join(""))
const blocks = Math.ceil((24 * 1024 * 1024) / block.length)
const tail = encoder.encode("data: [DONE]\n\n")

/** A body of `blocks` fresh 64 KiB-ish reads, made one at a time as they are pulled. */
const lazyBody = () => {
  let sent = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < blocks) controller.enqueue(block.slice())
      else {
        controller.enqueue(tail.slice())
        controller.close()
      }
    }
  }, { highWaterMark: 0 })
}

const transport = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request) =>
    Effect.succeed(
      HttpClientResponse.fromWeb(
        request,
        new Response(lazyBody(), { status: 200, headers: { "content-type": "text/event-stream" } })
      )
    )
  )
)

describe("stream memory on layer", () => {
  it.effect(
    "the body's reads die young under the first-chunk and idle timeouts (24 MB stream)",
    () =>
      Effect.gen(function*() {
        const client = yield* NexosClient.make({
          apiKey: Redacted.make("k"),
          firstChunkTimeout: "1 minute",
          idleTimeout: "1 minute"
        }).pipe(Effect.provide(transport))
        gc()
        const before = process.memoryUsage().arrayBuffers
        let peak = before
        let events = 0
        yield* Stream.runForEach(
          client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "hi" }] }),
          () =>
            Effect.sync(() => {
              if (++events % 2_000 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers)
            })
        )
        const growthMB = (peak - before) / 1048576
        assert.isAtLeast(events, blocks * 600)
        assert.isBelow(growthMB, 8, `buffers not reclaimed grew by ${growthMB.toFixed(1)} MB`)
      }),
    { timeout: 30_000 }
  )
})
