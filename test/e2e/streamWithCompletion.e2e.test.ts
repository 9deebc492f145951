import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Effect, Option, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const request = { model: "GPT 5.4 mini", messages: [{ role: "user" as const, content: "Search the web" }] }

const reply = Reply.completion({
  text: "Sunny in Vilnius, says the forecast.",
  citations: [{ url: "https://example.com/forecast", title: "forecast" }]
})

describe("streamWithCompletion (real sockets)", () => {
  it.scopedLive("gives the live events, then the accumulated completion with the response's metadata", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.MockGateway
      const client = yield* NexosClient.NexosClient
      yield* gateway.enqueue(reply, reply)
      const parts = Chunk.toReadonlyArray(
        yield* Stream.runCollect(client.chat.completions.streamWithCompletion(request))
      )
      const events = parts.slice(0, -1)
      const last = parts[parts.length - 1]!
      assert.strictEqual(last._tag, "Completed")
      assert.isFalse(events.some((e) => e._tag === "Completed"))
      assert.deepStrictEqual(events.map((e) => e._tag).slice(-2), ["Finish", "Usage"])
      const text = events.flatMap((e) => (e._tag === "TextDelta" ? [e.delta] : [])).join("")
      assert.strictEqual(text, "Sunny in Vilnius, says the forecast.")
      assert.isAbove(events.filter((e) => e._tag === "TextDelta").length, 3)
      if (last._tag !== "Completed") return
      const { completion, meta } = last
      assert.strictEqual(completion.choices[0]!.message.content, text)
      assert.strictEqual(
        completion.choices[0]!.message.annotations?.[0]?.url_citation?.url,
        "https://example.com/forecast"
      )
      assert.isAbove(completion.usage!.total_tokens, 0)
      const [received] = yield* gateway.requests
      assert.strictEqual(meta?.requestId, received!.id)
      assert.strictEqual(meta?.status, 200)
      assert.strictEqual(Option.getOrThrow(ResponseMeta.get(completion)).requestId, received!.id)
      const metadata = events[0]!
      assert.strictEqual(metadata._tag === "Metadata" ? metadata.meta?.requestId : undefined, received!.id)

      const accumulated = yield* ChatStream.accumulate(client.chat.completions.streamChunks(request))
      assert.deepStrictEqual(completion.choices, accumulated.choices)
      assert.strictEqual(completion.model, accumulated.model)
    }).pipe(Effect.provide(clientOnMock())))
})
