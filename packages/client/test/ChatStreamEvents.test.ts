import { assert, describe, it } from "@effect/vitest"
import * as ChatEvent from "@nexos-effect/client/ChatEvent"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import { Chunk, Effect, Either, Match, Option, Schema, Stream } from "effect"

const decodeChunk = Schema.decodeUnknownSync(ChatCompletionChunk.ChatCompletionChunk)

const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1700000000, model: "gpt-test" }

const delta = (d: Record<string, unknown>, extra: Record<string, unknown> = {}, index = 0) => ({
  ...base,
  choices: [{ index, delta: d, finish_reason: null, ...extra }]
})
const finish = (reason: string, index = 0) => ({ ...base, choices: [{ index, delta: {}, finish_reason: reason }] })
const tool = (calls: ReadonlyArray<Record<string, unknown>>, index = 0) => delta({ tool_calls: calls }, {}, index)

const chunks = (...raw: ReadonlyArray<unknown>) => Stream.fromIterable(raw.map((c) => decodeChunk(c)))

const eventsOf = (...raw: ReadonlyArray<unknown>) =>
  ChatStream.events(chunks(...raw)).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

const accumulated = (...raw: ReadonlyArray<unknown>) => ChatStream.accumulate(chunks(...raw))

const only = <T extends ChatEvent.Tag>(events: ReadonlyArray<ChatEvent.ChatEvent>, tag: T) =>
  events.filter(ChatEvent.$is(tag))

const strip = (events: ReadonlyArray<ChatEvent.ChatEvent>) => events.filter((e) => e._tag !== "Metadata")

describe("events", () => {
  it.effect("text, metadata first, finish and usage last", () =>
    Effect.gen(function*() {
      const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, nexos_credits_cost: 0.1 }
      const events = yield* ChatStream.events(
        chunks(
          { ...delta({ role: "assistant", content: "" }), system_fingerprint: "fp", service_tier: "default" },
          delta({ content: "Hel" }),
          delta({ content: "lo" }),
          finish("stop"),
          { ...base, choices: [], usage }
        ),
        { headers: { "x-request-id": "req-1" } }
      ).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      assert.deepStrictEqual(events, [
        {
          _tag: "Metadata",
          id: "chatcmpl-1",
          model: "gpt-test",
          created: 1700000000,
          systemFingerprint: "fp",
          serviceTier: "default",
          headers: { "x-request-id": "req-1" }
        },
        { _tag: "TextDelta", choice: 0, delta: "Hel" },
        { _tag: "TextDelta", choice: 0, delta: "lo" },
        { _tag: "Finish", choice: 0, reason: "stop", rawReason: "stop" },
        {
          _tag: "Usage",
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, nexos_credits_cost: 0.1 }
        }
      ])
    }))

  it.effect("metadata waits for a chunk with an id (choices [] and empty ids first)", () =>
    Effect.gen(function*() {
      const events = yield* eventsOf(
        { id: "", model: "", object: "", created: 0, choices: [], prompt_filter_results: [] },
        delta({ content: "a" })
      )
      assert.strictEqual(events[0]._tag, "Metadata")
      assert.strictEqual((events[0] as ChatEvent.Metadata).id, "chatcmpl-1")
      assert.strictEqual(only(events, "Metadata").length, 1)
      const empty = yield* eventsOf({ id: "", choices: [] })
      assert.deepStrictEqual(empty, [{ _tag: "Metadata", id: "", model: "", created: 0 }])
      assert.deepStrictEqual(yield* eventsOf(), [])
    }))

  it.effect("content parts, reasoning_content, reasoning and refusal", () =>
    Effect.gen(function*() {
      const events = strip(
        yield* eventsOf(
          delta({ content: [{ type: "thinking", thinking: [{ type: "text", text: "think " }] }] }),
          delta({ content: [{ type: "text", text: "A" }, { type: "image_url", image_url: {} }] }),
          delta({ reasoning_content: "rc" }),
          delta({ reasoning: "r", reasoning_content: "" }),
          delta({ refusal: "no" }),
          delta({ content: "", refusal: "" })
        )
      )
      assert.deepStrictEqual(events, [
        { _tag: "ReasoningDelta", choice: 0, delta: "think " },
        { _tag: "TextDelta", choice: 0, delta: "A" },
        { _tag: "ReasoningDelta", choice: 0, delta: "rc" },
        { _tag: "ReasoningDelta", choice: 0, delta: "r" },
        { _tag: "RefusalDelta", choice: 0, delta: "no" }
      ])
    }))

  it.effect("works with Match.tag", () =>
    Effect.gen(function*() {
      const events = yield* eventsOf(delta({ content: "hi" }), finish("stop"))
      const describe = Match.type<ChatEvent.ChatEvent>().pipe(
        Match.tag("TextDelta", (e) => `text:${e.delta}`),
        Match.tag("Finish", (e) => `finish:${e.reason}`),
        Match.orElse((e) => e._tag)
      )
      assert.deepStrictEqual(events.map(describe), ["Metadata", "text:hi", "finish:stop"])
    }))

  it.effect("n=2: every event carries its choice; accumulate sorts choices", () =>
    Effect.gen(function*() {
      const raw = [
        delta({ content: "b1" }, {}, 1),
        delta({ content: "a1" }, {}, 0),
        delta({ content: "b2" }, {}, 1),
        finish("length", 1),
        delta({ content: "a2" }, {}, 0),
        finish("stop", 0)
      ]
      const events = strip(yield* eventsOf(...raw))
      assert.deepStrictEqual(events, [
        { _tag: "TextDelta", choice: 1, delta: "b1" },
        { _tag: "TextDelta", choice: 0, delta: "a1" },
        { _tag: "TextDelta", choice: 1, delta: "b2" },
        { _tag: "TextDelta", choice: 0, delta: "a2" },
        { _tag: "Finish", choice: 0, reason: "stop", rawReason: "stop" },
        { _tag: "Finish", choice: 1, reason: "length", rawReason: "length" }
      ])
      const completion = yield* accumulated(...raw)
      assert.deepStrictEqual(completion.choices.map((c) => [c.index, c.message.content, c.finish_reason]), [
        [0, "a1a2", "stop"],
        [1, "b1b2", "length"]
      ])
      assert.deepStrictEqual(
        yield* chunks(...raw).pipe(ChatStream.events(), ChatStream.text({ choice: 1 }), Stream.runCollect),
        Chunk.make("b1", "b2")
      )
      assert.deepStrictEqual(
        yield* chunks(...raw).pipe(ChatStream.events(), ChatStream.text({ choice: "all" }), Stream.mkString),
        "b1a1b2a2"
      )
    }))

  it.effect("finish_reason twice: one Finish with the last value; unknown values are kept raw", () =>
    Effect.gen(function*() {
      const raw = [delta({ content: "x" }), finish("length"), finish("end_turn")]
      const finishes = only(yield* eventsOf(...raw), "Finish")
      assert.deepStrictEqual(finishes, [{ _tag: "Finish", choice: 0, reason: "stop", rawReason: "end_turn" }])
      assert.strictEqual((yield* accumulated(...raw)).choices[0].finish_reason, "end_turn")
      const odd = only(yield* eventsOf(finish("weird_reason")), "Finish")
      assert.deepStrictEqual(odd, [{ _tag: "Finish", choice: 0, reason: "unknown", rawReason: "weird_reason" }])
      assert.deepStrictEqual(only(yield* eventsOf(delta({ content: "x" })), "Finish"), [])
    }))

  it.effect("usage: any chunk, several times, the last non-null wins, emitted once at the end", () =>
    Effect.gen(function*() {
      const raw = [
        { ...delta({ content: "a" }), usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
        { ...delta({ content: "b" }), usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, extra: 1 } },
        { ...finish("stop"), usage: null },
        { ...base, choices: [] }
      ]
      const events = yield* eventsOf(...raw)
      const usage = only(events, "Usage")
      assert.strictEqual(usage.length, 1)
      assert.strictEqual(events[events.length - 1], usage[0])
      assert.deepStrictEqual(
        usage[0].usage,
        { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, extra: 1 } as any
      )
      assert.deepStrictEqual(
        yield* ChatStream.usage(ChatStream.events(chunks(...raw))),
        Option.some({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, extra: 1 } as any)
      )
      assert.deepStrictEqual(yield* ChatStream.usage(ChatStream.events(chunks(delta({ content: "a" })))), Option.none())
    }))

  it.effect("citations are deduplicated per choice", () =>
    Effect.gen(function*() {
      const a = { type: "url_citation", url_citation: { url: "https://a", title: "A", start_index: 0, end_index: 3 } }
      const b = { type: "url_citation", url_citation: { url: "https://b" } }
      const raw = [
        delta({ content: "abc", annotations: [a] }),
        delta({ annotations: [a, b] }),
        { ...finish("stop"), choices: [{ index: 0, delta: { annotations: [b, { type: "file_citation" }] } }] },
        delta({ annotations: [a] }, {}, 1)
      ]
      const events = yield* eventsOf(...raw)
      assert.deepStrictEqual(only(events, "Citation"), [
        { _tag: "Citation", choice: 0, url: "https://a", title: "A", startIndex: 0, endIndex: 3 },
        { _tag: "Citation", choice: 0, url: "https://b" },
        { _tag: "Citation", choice: 1, url: "https://a", title: "A", startIndex: 0, endIndex: 3 }
      ])
      assert.deepStrictEqual(
        yield* ChatStream.citations(ChatStream.events(chunks(...raw))).pipe(Stream.runCount),
        3
      )
      const completion = yield* accumulated(...raw)
      assert.deepStrictEqual(completion.choices[0].message.annotations, [a, b, { type: "file_citation" }])
    }))
})

describe("events: tool calls", () => {
  const calls = (events: ReadonlyArray<ChatEvent.ChatEvent>) =>
    only(events, "ToolCall").map((e) => ({ index: e.index, id: e.id, name: e.name, arguments: e.arguments }))

  it.effect("the OpenAI shape: start, argument fragments, complete at finish_reason", () =>
    Effect.gen(function*() {
      const events = strip(
        yield* eventsOf(
          tool([{ index: 0, id: "call_1", type: "function", function: { name: "get", arguments: "" } }]),
          tool([{ index: 0, function: { arguments: "{\"a\":" } }]),
          tool([{ index: 0, function: { arguments: "1}" } }]),
          finish("tool_calls")
        )
      )
      assert.deepStrictEqual(events, [
        { _tag: "ToolCallStart", choice: 0, index: 0, id: "call_1", name: "get" },
        { _tag: "ToolCallDelta", choice: 0, index: 0, delta: "{\"a\":" },
        { _tag: "ToolCallDelta", choice: 0, index: 0, delta: "1}" },
        {
          _tag: "ToolCall",
          choice: 0,
          index: 0,
          id: "call_1",
          name: "get",
          arguments: "{\"a\":1}",
          parsed: Either.right({ a: 1 })
        },
        { _tag: "Finish", choice: 0, reason: "tool_calls", rawReason: "tool_calls" }
      ])
    }))

  it.effect("missing index: continues the open call, then a new id takes a new index", () =>
    Effect.gen(function*() {
      const raw = [
        tool([{ id: "a", function: { name: "f", arguments: "" } }]),
        tool([{ function: { arguments: "{\"x\"" } }]),
        tool([{ function: { arguments: ":1}" } }]),
        tool([{ id: "b", function: { name: "g", arguments: "{}" } }]),
        finish("tool_calls")
      ]
      assert.deepStrictEqual(calls(yield* eventsOf(...raw)), [
        { index: 0, id: "a", name: "f", arguments: "{\"x\":1}" },
        { index: 1, id: "b", name: "g", arguments: "{}" }
      ])
      const completion = yield* accumulated(...raw)
      assert.deepStrictEqual(ChatCompletion.toolCalls(completion), [
        { id: "a", type: "function", function: { name: "f", arguments: "{\"x\":1}" } },
        { id: "b", type: "function", function: { name: "g", arguments: "{}" } }
      ])
    }))

  it.effect("missing index with several calls in one delta: the position in the array", () =>
    Effect.gen(function*() {
      const raw = [
        tool([{ id: "a", function: { name: "f", arguments: "{\"p\":" } }, {
          id: "b",
          function: { name: "g", arguments: "{\"q\":" }
        }]),
        tool([{ function: { arguments: "1}" } }, { function: { arguments: "2}" } }])
      ]
      assert.deepStrictEqual(calls(yield* eventsOf(...raw)), [
        { index: 0, id: "a", name: "f", arguments: "{\"p\":1}" },
        { index: 1, id: "b", name: "g", arguments: "{\"q\":2}" }
      ])
    }))

  it.effect("index starting at 1 and sparse indices: no holes; a call without arguments yet completes at the end", () =>
    Effect.gen(function*() {
      const raw = [
        tool([{ index: 3, id: "c", function: { name: "h", arguments: "{}" } }]),
        tool([{ index: 1, id: "a", function: { name: "f" } }]),
        tool([{ index: 1, function: { arguments: "" } }]),
        finish("tool_calls")
      ]
      const events = yield* eventsOf(...raw)
      assert.deepStrictEqual(calls(events), [
        { index: 3, id: "c", name: "h", arguments: "{}" },
        { index: 1, id: "a", name: "f", arguments: "" }
      ])
      const empty = only(events, "ToolCall")[0]
      assert.deepStrictEqual(empty.parsed, Either.right({}))
      const completion = yield* accumulated(...raw)
      const toolCalls = completion.choices[0].message.tool_calls ?? []
      assert.deepStrictEqual(toolCalls.map((c) => c.id), ["a", "c"])
      assert.strictEqual(toolCalls.length, 2)
    }))

  it.effect("id and name repeated on every delta, or later as \"\": the first non-empty wins", () =>
    Effect.gen(function*() {
      const raw = [
        tool([{ index: 0, id: "", type: "", function: { name: "", arguments: "" } }]),
        tool([{ index: 0, id: "call_9", type: "function", function: { name: "lookup", arguments: "{\"k\":" } }]),
        tool([{ index: 0, id: "call_9", function: { name: "lookup", arguments: "\"v\"" } }]),
        tool([{ index: 0, id: "", function: { name: "", arguments: "}" } }]),
        finish("tool_calls")
      ]
      const events = yield* eventsOf(...raw)
      assert.deepStrictEqual(calls(events), [{ index: 0, id: "call_9", name: "lookup", arguments: "{\"k\":\"v\"}" }])
      assert.deepStrictEqual(only(events, "ToolCallStart"), [
        { _tag: "ToolCallStart", choice: 0, index: 0, id: "call_9", name: "lookup" }
      ])
    }))

  it.effect("a whole call in one delta, without type", () =>
    Effect.gen(function*() {
      const events = strip(yield* eventsOf(tool([{ index: 0, id: "w", function: { name: "f", arguments: "[1]" } }])))
      assert.deepStrictEqual(events.map((e) => e._tag), ["ToolCallStart", "ToolCallDelta", "ToolCall"])
      assert.deepStrictEqual((events[2] as ChatEvent.ToolCall).parsed, Either.right([1]))
    }))

  it.effect("bad JSON arguments give a Left and the stream goes on", () =>
    Effect.gen(function*() {
      const raw = [
        tool([{ index: 0, id: "bad", function: { name: "f", arguments: "{\"a\": tru" } }]),
        finish("tool_calls"),
        delta({ content: "after" }, {}, 0),
        { ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }
      ]
      const events = yield* eventsOf(...raw)
      const call = only(events, "ToolCall")[0]
      assert.strictEqual(call.arguments, "{\"a\": tru")
      assert.isTrue(Either.isLeft(call.parsed))
      if (Either.isLeft(call.parsed)) {
        assert.instanceOf(call.parsed.left, ChatEvent.ToolArgumentsError)
        assert.strictEqual(call.parsed.left._tag, "ToolArgumentsError")
        assert.strictEqual(call.parsed.left.arguments, "{\"a\": tru")
        assert.include(call.parsed.left.message, "not valid JSON")
      }
      assert.deepStrictEqual(only(events, "TextDelta").map((e) => e.delta), ["after"])
      assert.strictEqual(only(events, "Usage").length, 1)
      const viaView = yield* ChatStream.toolCalls(ChatStream.events(chunks(...raw))).pipe(Stream.runCollect)
      assert.strictEqual(Chunk.size(viaView), 1)
    }))

  it.effect("parallel calls interleaved by index complete only at finish_reason", () =>
    Effect.gen(function*() {
      const events = yield* eventsOf(
        tool([{ index: 0, id: "a", function: { name: "f", arguments: "{\"x\":" } }]),
        tool([{ index: 1, id: "b", function: { name: "g", arguments: "{\"y\":" } }]),
        tool([{ index: 0, function: { arguments: "1}" } }]),
        tool([{ index: 1, function: { arguments: "2}" } }]),
        finish("tool_calls")
      )
      assert.deepStrictEqual(calls(events), [
        { index: 0, id: "a", name: "f", arguments: "{\"x\":1}" },
        { index: 1, id: "b", name: "g", arguments: "{\"y\":2}" }
      ])
      const tags = strip(events).map((e) => e._tag)
      assert.strictEqual(tags.indexOf("ToolCall"), tags.length - 3)
    }))

  it.effect("calls still open at the end of the stream complete there", () =>
    Effect.gen(function*() {
      const events = strip(
        yield* eventsOf(
          tool([{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }]),
          tool([{ index: 0, id: "b", function: { name: "g", arguments: "{}" } }], 1),
          finish("tool_calls", 1)
        )
      )
      assert.deepStrictEqual(events.map((e) => [e._tag, "choice" in e ? e.choice : -1]), [
        ["ToolCallStart", 0],
        ["ToolCallDelta", 0],
        ["ToolCallStart", 1],
        ["ToolCallDelta", 1],
        ["ToolCall", 1],
        ["ToolCall", 0],
        ["Finish", 1]
      ])
    }))
})

describe("accumulate", () => {
  it.effect("builds the non-streaming shape", () =>
    Effect.gen(function*() {
      const completion = yield* accumulated(
        { ...delta({ role: "assistant", content: "" }), system_fingerprint: "fp_1", service_tier: "default" },
        delta({ content: "Hi" }, { logprobs: { content: [{ token: "Hi", logprob: -0.1, bytes: [72, 105] }] } }),
        delta({ reasoning_content: "hmm" }),
        finish("stop"),
        { ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }
      )
      assert.deepStrictEqual(completion, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1700000000,
        model: "gpt-test",
        choices: [{
          index: 0,
          message: { role: "assistant", content: "Hi", reasoning_content: "hmm" },
          finish_reason: "stop",
          logprobs: { content: [{ token: "Hi", logprob: -0.1, bytes: [72, 105] }] }
        }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        system_fingerprint: "fp_1",
        service_tier: "default"
      })
      const encoded = Schema.encodeSync(ChatCompletion.ChatCompletion)(completion)
      assert.deepStrictEqual(Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)(encoded), completion)
    }))

  it.effect("content is absent when none came, \"\" when an empty string came", () =>
    Effect.gen(function*() {
      const toolOnly = yield* accumulated(
        delta({ role: "assistant", content: null }),
        tool([{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }]),
        finish("tool_calls")
      )
      assert.deepStrictEqual(toolOnly.choices[0].message, {
        role: "assistant",
        tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "{}" } }]
      })
      const refusal = yield* accumulated(delta({ content: null, refusal: "" }), delta({ refusal: "No." }))
      assert.deepStrictEqual(refusal.choices[0].message, { role: "assistant", refusal: "No." })
      const emptyText = yield* accumulated(delta({ content: "" }), finish("stop"))
      assert.deepStrictEqual(emptyText.choices[0].message, { role: "assistant", content: "" })
    }))

  it.effect("the deprecated function_call delta is accumulated", () =>
    Effect.gen(function*() {
      const completion = yield* accumulated(
        delta({ function_call: { name: "f", arguments: "{\"a\"" } }),
        delta({ function_call: { arguments: ":1}" } }),
        finish("function_call")
      )
      assert.deepStrictEqual(completion.choices[0].message.function_call, { name: "f", arguments: "{\"a\":1}" })
    }))

  it.effect("fails with the stream's error", () =>
    Effect.gen(function*() {
      const result = yield* ChatStream.accumulate(chunks(delta({ content: "a" })).pipe(Stream.concat(Stream.fail("x"))))
        .pipe(Effect.either)
      assert.deepStrictEqual(result, Either.left("x"))
    }))
})

describe("tool-call fragments without index that repeat the name", () => {
  it.effect("continue the last call, and a new id or another name opens the next one", () =>
    Effect.gen(function*() {
      const completion = yield* accumulated(
        tool([{ index: 0, id: "a", function: { name: "f", arguments: "" } }]),
        tool([{ function: { name: "f", arguments: "{\"x\":1}" } }]),
        tool([{ index: 1, id: "b", function: { name: "g", arguments: "" } }]),
        tool([{ function: { name: "g", arguments: "{\"y\":" } }]),
        tool([{ function: { name: "g", arguments: "2}" } }]),
        finish("tool_calls")
      )
      const calls = ChatCompletion.toolCalls(completion)
      assert.deepStrictEqual(calls.map((c) => [c.id, c.function.name, c.function.arguments]), [
        ["a", "f", "{\"x\":1}"],
        ["b", "g", "{\"y\":2}"]
      ])
    }))

  it.effect("a whole second call with the same name and no index or id opens a new call", () =>
    Effect.gen(function*() {
      const completion = yield* accumulated(
        tool([{ function: { name: "get", arguments: "{\"c\":\"Paris\"}" } }]),
        tool([{ function: { name: "get", arguments: "{\"c\":\"Rome\"}" } }]),
        finish("tool_calls")
      )
      assert.deepStrictEqual(ChatCompletion.toolCalls(completion).map((c) => c.function.arguments), [
        "{\"c\":\"Paris\"}",
        "{\"c\":\"Rome\"}"
      ])
    }))
})
