import { assert, describe, it } from "@effect/vitest"
import * as ChatEvent from "@nexos-effect/client/ChatEvent"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import { Chunk, Effect, Either, FastCheck as fc, Schema, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { JsonProgress } from "../src/internal/jsonProgress.js"

// Tool calls assembled from stream deltas, as classes: calls that share an index, finish reasons that are no finish,
// agreement of `events` and `accumulate` on every input, arguments sent as objects.

const decodeChunk = Schema.decodeUnknownSync(ChatCompletionChunk.ChatCompletionChunk)
const base = { id: "chatcmpl-t", object: "chat.completion.chunk", created: 1700000000, model: "m" }

type Raw = Record<string, unknown>

const chunk = (choice: Raw, index = 0): Raw => ({ ...base, choices: [{ index, delta: {}, ...choice }] })
const tools = (calls: ReadonlyArray<Raw>, extra: Raw = {}, index = 0) =>
  chunk({ delta: { tool_calls: calls }, finish_reason: null, ...extra }, index)
const finish = (reason: string, index = 0) => chunk({ finish_reason: reason }, index)

const sseOf = (raw: ReadonlyArray<Raw>): Uint8Array =>
  new TextEncoder().encode(raw.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n")

const bytes = (raw: ReadonlyArray<Raw>) => Stream.make(sseOf(raw))

const eventsOf = (raw: ReadonlyArray<Raw>) =>
  bytes(raw).pipe(ChatStream.decodeSse(), ChatStream.events(), Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

const accumulated = (raw: ReadonlyArray<Raw>) => ChatStream.accumulate(ChatStream.decodeSse(bytes(raw)))

interface Call {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

const eventCalls = (events: ReadonlyArray<ChatEvent.ChatEvent>, choice = 0): ReadonlyArray<Call> =>
  events.filter(ChatEvent.$is("ToolCall")).filter((e) => e.choice === choice).sort((a, b) => a.index - b.index)
    .map((e) => ({ id: e.id, name: e.name, arguments: e.arguments }))

const completionCalls = (completion: ChatCompletion.ChatCompletion, choice = 0): ReadonlyArray<Call> =>
  (completion.choices.find((c) => c.index === choice)?.message.tool_calls ?? []).map((c) => ({
    id: c.id,
    name: c.function.name,
    arguments: c.function.arguments
  }))

const both = (raw: ReadonlyArray<Raw>) =>
  Effect.gen(function*() {
    const events = yield* eventsOf(raw)
    const completion = yield* accumulated(raw)
    assert.deepStrictEqual(eventCalls(events), completionCalls(completion), "events and accumulate agree")
    return { events, completion, calls: completionCalls(completion) }
  })

describe("parallel tool calls that share an index", () => {
  const weather = (id: string, city: string) => ({
    index: 0,
    id,
    type: "function",
    function: { name: "get_weather", arguments: JSON.stringify({ city }) }
  })

  it.effect("every call whole at index 0, each with its own id: separate calls in arrival order", () =>
    Effect.gen(function*() {
      const raw = [
        chunk({ delta: { role: "assistant", content: "" } }),
        tools([weather("call_p", "Paris")]),
        tools([weather("call_r", "Rome")]),
        tools([{ index: 0, id: "call_t", function: { name: "get_time", arguments: "{\"tz\":\"CET\"}" } }]),
        finish("tool_calls")
      ]
      const { calls, completion, events } = yield* both(raw)
      assert.deepStrictEqual(calls, [
        { id: "call_p", name: "get_weather", arguments: "{\"city\":\"Paris\"}" },
        { id: "call_r", name: "get_weather", arguments: "{\"city\":\"Rome\"}" },
        { id: "call_t", name: "get_time", arguments: "{\"tz\":\"CET\"}" }
      ])
      assert.strictEqual(completion.choices[0]?.finish_reason, "tool_calls")
      const starts = events.filter(ChatEvent.$is("ToolCallStart"))
      assert.deepStrictEqual(starts.map((e) => [e.index, e.id]), [[0, "call_p"], [1, "call_r"], [2, "call_t"]])
      const deltas = events.filter(ChatEvent.$is("ToolCallDelta"))
      assert.deepStrictEqual(deltas.map((e) => e.index), [0, 1, 2])
      const done = events.filter(ChatEvent.$is("ToolCall"))
      assert.deepStrictEqual(done.map((e) => [e.index, e.parsed]), [
        [0, Either.right({ city: "Paris" })],
        [1, Either.right({ city: "Rome" })],
        [2, Either.right({ tz: "CET" })]
      ])
    }))

  it.effect("several whole calls at index 0 in one delta array, finish in the same chunk", () =>
    Effect.gen(function*() {
      const { calls } = yield* both([
        tools([weather("a", "Oslo"), weather("b", "Bergen")], { finish_reason: "tool_calls" })
      ])
      assert.deepStrictEqual(calls.map((c) => c.id), ["a", "b"])
    }))

  it.effect("a call streamed in fragments, then another whole call at the same index", () =>
    Effect.gen(function*() {
      const { calls } = yield* both([
        tools([{ index: 0, id: "a", function: { name: "f", arguments: "" } }]),
        tools([{ index: 0, function: { arguments: "{\"x\":" } }]),
        tools([{ index: 0, function: { arguments: "1}" } }]),
        tools([{ index: 0, id: "b", function: { name: "g", arguments: "{\"y\":" } }]),
        tools([{ index: 0, function: { arguments: "2}" } }]),
        finish("tool_calls")
      ])
      assert.deepStrictEqual(calls, [
        { id: "a", name: "f", arguments: "{\"x\":1}" },
        { id: "b", name: "g", arguments: "{\"y\":2}" }
      ])
    }))

  it.effect("same-index calls mixed with a later index keep arrival order, no holes", () =>
    Effect.gen(function*() {
      const { calls, events } = yield* both([
        tools([weather("a", "A")]),
        tools([weather("b", "B")]),
        tools([{ index: 1, id: "c", function: { name: "h", arguments: "{}" } }]),
        finish("tool_calls")
      ])
      assert.deepStrictEqual(calls.map((c) => c.id), ["a", "b", "c"])
      const indices = events.filter(ChatEvent.$is("ToolCall")).map((e) => e.index)
      assert.strictEqual(new Set(indices).size, 3)
    }))

  it.effect("without ids: another name, or the same name after complete JSON, starts a new call", () =>
    Effect.gen(function*() {
      const { calls } = yield* both([
        tools([{ index: 0, function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }]),
        tools([{ index: 0, function: { name: "get_weather", arguments: "{\"city\":\"Rome\"}" } }]),
        tools([{ index: 0, function: { name: "get_time", arguments: "{}" } }]),
        finish("tool_calls")
      ])
      assert.deepStrictEqual(calls, [
        { id: "", name: "get_weather", arguments: "{\"city\":\"Paris\"}" },
        { id: "", name: "get_weather", arguments: "{\"city\":\"Rome\"}" },
        { id: "", name: "get_time", arguments: "{}" }
      ])
    }))

  it.effect("a new id while the arguments are still incomplete JSON continues the call (the first id wins)", () =>
    Effect.gen(function*() {
      const { calls } = yield* both([
        tools([{ index: 0, id: "a", function: { name: "f", arguments: "{\"x\":" } }]),
        tools([{ index: 0, id: "a-2", function: { arguments: "1}" } }]),
        finish("tool_calls")
      ])
      assert.deepStrictEqual(calls, [{ id: "a", name: "f", arguments: "{\"x\":1}" }])
    }))

  it.effect("a second call to a tool without arguments at the same index is separate", () =>
    Effect.gen(function*() {
      const { calls } = yield* both([
        tools([{ index: 0, id: "a", function: { name: "now", arguments: "" } }]),
        tools([{ index: 0, id: "b", function: { name: "now", arguments: "" } }]),
        finish("tool_calls")
      ])
      assert.deepStrictEqual(calls.map((c) => c.id), ["a", "b"])
    }))
})

describe("finish_reason that is no finish", () => {
  it.effect("\"\" on every chunk neither completes tool calls early nor finishes the choice", () =>
    Effect.gen(function*() {
      const raw = [
        tools([{ index: 0, id: "a", type: "function", function: { name: "f", arguments: "" } }], {
          finish_reason: ""
        }),
        tools([{ index: 0, function: { arguments: "{\"q\":" } }], { finish_reason: "" }),
        tools([{ index: 0, function: { arguments: "\"v\"}" } }], { finish_reason: "" }),
        chunk({ finish_reason: "tool_calls" })
      ]
      const { calls, completion, events } = yield* both(raw)
      assert.deepStrictEqual(calls, [{ id: "a", name: "f", arguments: "{\"q\":\"v\"}" }])
      const done = events.filter(ChatEvent.$is("ToolCall"))
      assert.strictEqual(done.length, 1)
      assert.deepStrictEqual(done[0]?.parsed, Either.right({ q: "v" }))
      assert.deepStrictEqual(events.filter(ChatEvent.$is("Finish")).map((e) => e.rawReason), ["tool_calls"])
      assert.strictEqual(completion.choices[0]?.finish_reason, "tool_calls")
    }))

  it.effect("only \"\" ever: no Finish event and no finish_reason in the completion", () =>
    Effect.gen(function*() {
      const raw = [
        chunk({ delta: { content: "hi" }, finish_reason: "" }),
        tools([{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }], { finish_reason: "" })
      ]
      const { calls, completion, events } = yield* both(raw)
      assert.deepStrictEqual(calls, [{ id: "a", name: "f", arguments: "{}" }])
      assert.deepStrictEqual(events.filter(ChatEvent.$is("Finish")), [])
      assert.isUndefined(completion.choices[0]?.finish_reason)
    }))

  it.effect("a finish before the arguments are complete JSON leaves the call open until the stream ends", () =>
    Effect.gen(function*() {
      const { calls, events } = yield* both([
        tools([{ index: 0, id: "a", function: { name: "f", arguments: "{\"k\":" } }], { finish_reason: "length" }),
        tools([{ index: 0, function: { arguments: "1}" } }], { finish_reason: "tool_calls" })
      ])
      assert.deepStrictEqual(calls, [{ id: "a", name: "f", arguments: "{\"k\":1}" }])
      assert.deepStrictEqual(events.filter(ChatEvent.$is("Finish")).map((e) => e.rawReason), ["tool_calls"])
    }))
})

describe("tool-call arguments sent as a JSON object inside a chunk", () => {
  it.effect("are kept as JSON text, exactly as a completion decodes them", () =>
    Effect.gen(function*() {
      const args = { city: "Paris", days: [1, 2], nested: { metric: true } }
      const { calls, events } = yield* both([
        tools([{ index: 0, id: "a", type: "function", function: { name: "forecast", arguments: args } }]),
        tools([{ index: 0, id: "b", type: "function", function: { name: "forecast", arguments: { city: "Rome" } } }]),
        finish("tool_calls")
      ])
      const fromCompletion = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)({
        id: "x",
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            tool_calls: [{ id: "a", type: "function", function: { name: "forecast", arguments: args } }]
          }
        }]
      })
      assert.strictEqual(calls[0]?.arguments, ChatCompletion.toolCalls(fromCompletion)[0]?.function.arguments)
      assert.strictEqual(calls[0]?.arguments, JSON.stringify(args))
      assert.deepStrictEqual(calls.map((c) => c.id), ["a", "b"])
      assert.deepStrictEqual(events.filter(ChatEvent.$is("ToolCall"))[0]?.parsed, Either.right(args))
    }))

  it.effect("the deprecated function_call delta takes an object too", () =>
    Effect.gen(function*() {
      const completion = yield* accumulated([
        chunk({ delta: { function_call: { name: "f", arguments: { a: 1 } } } }),
        finish("function_call")
      ])
      assert.deepStrictEqual(completion.choices[0]?.message.function_call, { name: "f", arguments: "{\"a\":1}" })
    }))
})

describe("index-less fragments", () => {
  it.effect("50 KB of arguments in 500 fragments that repeat the name assemble into one call", () =>
    Effect.gen(function*() {
      const text = JSON.stringify({ data: "x\"é".repeat(12_000) })
      const raw: Array<Raw> = []
      for (let i = 0; i < 500; i++) {
        const piece = text.slice(Math.floor(i * text.length / 500), Math.floor((i + 1) * text.length / 500))
        raw.push(tools([{ ...(i === 0 ? { id: "big" } : {}), function: { name: "store", arguments: piece } }]))
      }
      raw.push(finish("tool_calls"))
      const { calls } = yield* both(raw)
      assert.strictEqual(calls.length, 1)
      assert.strictEqual(calls[0]?.id, "big")
      assert.strictEqual(calls[0]?.arguments, text)
    }))
})

// Property: whatever the chunks and however they are grouped, `events` and `accumulate` agree on every tool call,
// every call has one start, its deltas in order and one completion, and the completion has no holes.

const checkAgreement = (
  events: ReadonlyArray<ChatEvent.ChatEvent>,
  completion: ChatCompletion.ChatCompletion
): void => {
  const choices = new Set(completion.choices.map((c) => c.index))
  for (const e of events) if ("choice" in e) assert.isTrue(choices.has(e.choice), `choice ${e.choice} is accumulated`)
  for (const c of completion.choices) {
    const calls = c.message.tool_calls ?? []
    assert.deepStrictEqual(eventCalls(events, c.index), completionCalls(completion, c.index), `choice ${c.index}`)
    for (const call of calls) assert.isDefined(call, "no holes")
    const mine = events.filter((e) => "choice" in e && e.choice === c.index)
    const seen = new Map<number, { started: boolean; text: string; done: boolean }>()
    for (const e of mine) {
      if (e._tag === "ToolCallStart") {
        assert.isUndefined(seen.get(e.index), `one start for ${e.index}`)
        seen.set(e.index, { started: true, text: "", done: false })
      } else if (e._tag === "ToolCallDelta") {
        const s = seen.get(e.index)
        assert.isTrue(s?.started === true && !s.done, `delta of ${e.index} between start and completion`)
        s!.text += e.delta
      } else if (e._tag === "ToolCall") {
        const s = seen.get(e.index)
        assert.isTrue(s?.started === true && !s.done, `one completion of ${e.index} after its start`)
        assert.strictEqual(e.arguments, s!.text, `completion of ${e.index} holds its deltas`)
        s!.done = true
      }
    }
    assert.strictEqual([...seen.values()].filter((s) => s.done).length, calls.length, "every call completes once")
    const finishes = mine.filter(ChatEvent.$is("Finish"))
    assert.deepStrictEqual(finishes.map((f) => f.rawReason), c.finish_reason === undefined ? [] : [c.finish_reason])
  }
}

const groupings = (n: number) => fc.array(fc.integer({ min: 0, max: n }), { maxLength: 6 })

const grouped = <A>(items: ReadonlyArray<A>, cuts: ReadonlyArray<number>): Stream.Stream<A> => {
  const points = [...new Set(cuts)].sort((a, b) => a - b)
  const groups: Array<Chunk.Chunk<A>> = []
  let from = 0
  for (const p of points) {
    groups.push(Chunk.unsafeFromArray(items.slice(from, p)))
    from = p
  }
  groups.push(Chunk.unsafeFromArray(items.slice(from)))
  return Stream.fromChunks(...groups)
}

const piece = fc.constantFrom(
  "{",
  "}",
  "{}",
  "\"a\"",
  ":",
  "1",
  ",",
  "{\"x\":1}",
  " ",
  "[",
  "]",
  "tru",
  "e",
  "\"\\u00e9\"",
  "nope"
)
const fragment = fc.record({
  index: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  id: fc.option(fc.constantFrom("", "a", "b", "c"), { nil: undefined }),
  type: fc.option(fc.constantFrom("", "function"), { nil: undefined }),
  function: fc.option(
    fc.record({
      name: fc.option(fc.constantFrom("", "f", "g"), { nil: undefined }),
      arguments: fc.option(fc.oneof(piece, fc.constant({ k: [1] })), { nil: undefined })
    }, { requiredKeys: [] }),
    { nil: undefined }
  )
}, { requiredKeys: [] })
const rawChunk = fc.record({
  choice: fc.integer({ min: 0, max: 1 }),
  content: fc.option(fc.constantFrom("", "t"), { nil: undefined }),
  toolCalls: fc.option(fc.array(fragment, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  finish: fc.option(fc.constantFrom("", "stop", "tool_calls", "length"), { nil: undefined, freq: 3 })
}).map(({ choice, content, finish, toolCalls }) =>
  decodeChunk({
    ...base,
    choices: [{
      index: choice,
      delta: {
        ...(content === undefined ? {} : { content }),
        ...(toolCalls === undefined ? {} : { tool_calls: toolCalls })
      },
      finish_reason: finish ?? null
    }]
  })
)

describe("events and accumulate agree on every tool call", () => {
  it.effect("on generated streams, with random chunk boundaries", () =>
    Effect.gen(function*() {
      const samples = fc.sample(
        fc.array(rawChunk, { minLength: 1, maxLength: 14 }).chain((chunks) =>
          fc.tuple(fc.constant(chunks), groupings(chunks.length), groupings(chunks.length))
        ),
        { numRuns: 200, seed: 9 }
      )
      let withCalls = 0
      for (const [chunks, cutsA, cutsB] of samples) {
        const events = yield* ChatStream.events(grouped(chunks, cutsA)).pipe(
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
        const completion = yield* ChatStream.accumulate(grouped(chunks, cutsB))
        checkAgreement(events, completion)
        const whole = yield* ChatStream.events(Stream.fromIterable(chunks)).pipe(
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
        assert.deepStrictEqual(events, whole, "the same events whatever the grouping")
        if (completion.choices.some((c) => (c.message.tool_calls?.length ?? 0) > 1)) withCalls++
      }
      assert.isAbove(withCalls, 25, "enough streams with several calls")
    }))

  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
  const dir = path.join(root, "test/fixtures/real-world/streams")
  const names = fs.readdirSync(dir).filter((f) => f.endsWith(".sse"))

  it.effect("on every recorded stream, at random byte boundaries", () =>
    Effect.gen(function*() {
      assert.isAtLeast(names.length, 16)
      for (const name of names) {
        const all = new Uint8Array(fs.readFileSync(path.join(dir, name)))
        const cuts = fc.sample(fc.array(fc.nat({ max: all.length }), { maxLength: 20 }), { numRuns: 5, seed: 3 })
        for (const c of cuts) {
          const points = [...new Set(c)].sort((a, b) => a - b)
          const pieces: Array<Uint8Array> = []
          let from = 0
          for (const p of points) {
            pieces.push(all.subarray(from, p))
            from = p
          }
          pieces.push(all.subarray(from))
          const input = ChatStream.decodeSse(Stream.fromIterable(pieces), { requireDone: false })
          const events = yield* Effect.either(
            ChatStream.events(input).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
          )
          const completion = yield* Effect.either(ChatStream.accumulate(input))
          assert.strictEqual(Either.isRight(events), Either.isRight(completion), name)
          if (Either.isRight(events) && Either.isRight(completion)) checkAgreement(events.right, completion.right)
        }
      }
    }))
})

describe("internal: JsonProgress", () => {
  const parses = (text: string): boolean => {
    try {
      JSON.parse(text)
      return true
    } catch {
      return false
    }
  }
  const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, 1))
  const broken = fc.tuple(json, fc.nat(), fc.string({ maxLength: 3 })).map(([t, at, s]) =>
    t.slice(0, at % (t.length + 1)) + s + t.slice(at % (t.length + 1))
  )
  const texts = fc.oneof(
    json,
    broken,
    fc.string({ maxLength: 8 }),
    fc.constantFrom(
      "",
      " ",
      "-",
      "-0",
      "01",
      "1.",
      "1e",
      "1e+",
      "1E5",
      "\"\\u12\"",
      "\"\\x\"",
      "[1,]",
      "{\"a\":1,}",
      "nul"
    )
  )

  it("says complete exactly when JSON.parse accepts the text, however it is fragmented", () => {
    fc.assert(
      fc.property(texts, fc.array(fc.nat(), { maxLength: 5 }), (text, cuts) => {
        const progress = new JsonProgress()
        let from = 0
        for (const c of [...cuts.map((c) => c % (text.length + 1))].sort((a, b) => a - b)) {
          progress.feed(text.slice(from, c))
          from = c
        }
        progress.feed(text.slice(from))
        assert.strictEqual(progress.complete, parses(text), JSON.stringify(text))
      }),
      { numRuns: 3000, seed: 11 }
    )
  })
})
