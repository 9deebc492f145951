import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Effect, Either, Stream } from "effect"
import { clientOnMock } from "./layers.js"

// A provider that sends parallel calls whole at index 0 (Ollama, Grok), with `finish_reason: ""` on every chunk and
// one call's arguments as a JSON object, through the client over real sockets.

const base = { id: "chatcmpl-o", object: "chat.completion.chunk", created: 1, model: "llama3.2" }
const call = (id: string, name: string, args: unknown) => ({
  ...base,
  choices: [{
    index: 0,
    delta: { role: "assistant", tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: args } }] },
    finish_reason: ""
  }]
})
const payloads = [
  call("call_1", "get_weather", "{\"city\":\"Paris\"}"),
  call("call_2", "get_weather", { city: "Rome" }),
  call("call_3", "get_time", "{}"),
  { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }
]

const ask = { model: "llama3.2", messages: [{ role: "user" as const, content: "weather and time" }] }

describe("tool calls from a provider that reuses index 0 (real sockets)", () => {
  it.layer(clientOnMock())((it) => {
    it.effect("stream gives three ToolCalls and accumulate the same three calls", () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        const client = yield* NexosClient.NexosClient
        yield* gateway.enqueue(Reply.sse(payloads))
        const events = Chunk.toReadonlyArray(
          yield* client.chat.completions.stream(ask).pipe(ChatStream.toolCalls, Stream.runCollect)
        )
        assert.deepStrictEqual(events.map((e) => [e.id, e.name, e.arguments]), [
          ["call_1", "get_weather", "{\"city\":\"Paris\"}"],
          ["call_2", "get_weather", "{\"city\":\"Rome\"}"],
          ["call_3", "get_time", "{}"]
        ])
        assert.deepStrictEqual(events.map((e) => e.parsed), [
          Either.right({ city: "Paris" }),
          Either.right({ city: "Rome" }),
          Either.right({})
        ])
        yield* gateway.enqueue(Reply.sse(payloads))
        const completion = yield* ChatStream.accumulate(client.chat.completions.streamChunks(ask))
        assert.deepStrictEqual(
          ChatCompletion.toolCalls(completion).map((c) => [c.id, c.function.name, c.function.arguments]),
          events.map((e) => [e.id, e.name, e.arguments])
        )
        assert.strictEqual(completion.choices[0]?.finish_reason, "tool_calls")
      }))
  })
})
