import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Effect } from "effect"
import { clientOnMock } from "./layers.js"

const weather: ChatCompletionRequest.Tool = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

const ask = (extra: Partial<ChatCompletionRequest.ChatCompletionRequest> = {}) => ({
  model: "GPT 5.4 mini",
  messages: [{ role: "user" as const, content: "weather in Vilnius" }],
  ...extra
})

const both = (request: ChatCompletionRequest.ChatCompletionRequest) =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const json = yield* client.chat.completions.create(request)
    const streamed = yield* ChatStream.accumulate(client.chat.completions.streamChunks(request))
    return [json, streamed] as const
  })

describe("mock gateway: one answer with text, tool calls and citations (real sockets)", () => {
  it.scopedLive("a scripted reply keeps all its parts, as JSON and as a stream", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.MockGateway
      const reply = Reply.completion({
        text: "Let me check the forecast service.",
        toolCalls: [{ name: "get_weather", arguments: { city: "Vilnius" }, id: "call_1" }],
        citations: [{ url: "https://example.com/forecast", title: "forecast" }],
        reasoning: "Need live data."
      })
      yield* gateway.enqueue(reply, reply)
      for (const completion of yield* both(ask())) {
        const message = completion.choices[0]!.message
        assert.strictEqual(message.content, "Let me check the forecast service.")
        assert.strictEqual(message.reasoning_content, "Need live data.")
        assert.deepStrictEqual(
          message.tool_calls?.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)]),
          [
            ["call_1", "get_weather", { city: "Vilnius" }]
          ]
        )
        assert.deepStrictEqual(message.annotations?.map((a) => a.url_citation), [
          { url: "https://example.com/forecast", title: "forecast", start_index: 17, end_index: 25 }
        ])
        assert.strictEqual(completion.choices[0]!.finish_reason, "tool_calls")
      }
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a generated answer to a request with a function tool and web_search has all three too", () =>
    Effect.gen(function*() {
      const request = ask({ tools: [weather, { type: "web_search" }] })
      for (const completion of yield* both(request)) {
        const message = completion.choices[0]!.message
        assert.include(message.content, "Here is what the web says.")
        assert.strictEqual(message.annotations?.length, 2)
        for (const a of message.annotations ?? []) {
          const { end_index, start_index } = a.url_citation!
          assert.isAbove(end_index!, start_index!)
          assert.isAtMost(end_index!, message.content!.length)
        }
        assert.strictEqual(message.tool_calls?.[0]?.function.name, "get_weather")
        assert.isString(JSON.parse(message.tool_calls![0]!.function.arguments).city)
      }
      const onlyFunction = (yield* both(ask({ tools: [weather] })))[0].choices[0]!.message
      assert.isUndefined(onlyFunction.content ?? undefined)
      assert.strictEqual(onlyFunction.tool_calls?.length, 1)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("a reply with an unknown field is rejected, naming it, instead of being dropped", () =>
    Effect.gen(function*() {
      const client = yield* NexosClient.NexosClient
      const error = yield* Effect.flip(
        client.chat.completions.create(ask(), {
          headers: { [Reply.headerName]: JSON.stringify({ _tag: "Generate", txt: "hi" }) }
        })
      )
      assert.strictEqual(error._tag, "BadRequest")
      assert.include(error.message, "txt")
    }).pipe(Effect.provide(clientOnMock())))
})
