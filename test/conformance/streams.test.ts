import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosError from "@nexos-effect/client/NexosError"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as Usage from "@nexos-effect/schema/Usage"
import { Chunk, Effect, Either, Exit, FastCheck as fc, Schema, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

// Every recorded stream goes through decodeSse + accumulate and must give exactly its `.json` file's `expect`
// (see test/fixtures/real-world/INDEX.md for the semantics), whatever the byte boundaries and line endings.

type Json = any

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const dir = path.resolve(root, "test/fixtures/real-world/streams")
const names = fs.readdirSync(dir).filter((f) => f.endsWith(".sse")).map((f) => f.slice(0, -4)).sort()

interface Fixture {
  readonly name: string
  readonly bytes: Uint8Array
  readonly expect: Json
}

const fixtures: ReadonlyArray<Fixture> = names.map((name) => ({
  name,
  bytes: new Uint8Array(fs.readFileSync(path.join(dir, `${name}.sse`))),
  expect: JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8")).expect
}))

const multibyte: Fixture = (() => {
  const deltas = ["Grüße ", "aus ", "Köln ", "🌍🚀", " 日本語", " — ", "ok"]
  const lines = deltas.map((content, i) =>
    `data: ${JSON.stringify({ id: "m", model: "x", created: 1, choices: [{ index: 0, delta: { content } }] })}\n\n` +
    (i === 2 ? ": komentář ✓\n" : "")
  )
  const finish = `data: ${
    JSON.stringify({ id: "m", model: "x", created: 1, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })
  }\n\n`
  return {
    name: "synthetic-multibyte",
    bytes: new TextEncoder().encode(lines.join("") + finish + "data: [DONE]\n\n"),
    expect: {
      text: { "0": deltas.join("") },
      toolCalls: [],
      finishReason: "stop",
      usage: null,
      sse: { endsWithDone: true }
    }
  }
})()

const requireDone = (fixture: Fixture): boolean => fixture.expect.sse?.endsWithDone !== false

const chunksOf = (pieces: ReadonlyArray<Uint8Array>, perChunk = 1): Stream.Stream<Uint8Array> =>
  Stream.fromIterable(pieces).pipe(Stream.rechunk(perChunk))

const run = (fixture: Fixture, pieces: ReadonlyArray<Uint8Array> = [fixture.bytes]) =>
  ChatStream.accumulate(ChatStream.decodeSse(chunksOf(pieces), { requireDone: requireDone(fixture) }))

const eventsOf = (fixture: Fixture, pieces: ReadonlyArray<Uint8Array>, perChunk = 1) =>
  chunksOf(pieces, perChunk).pipe(
    ChatStream.decodeSse({ requireDone: requireDone(fixture) }),
    ChatStream.events(),
    Stream.either,
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray)
  )

const decodeUsage = Schema.decodeUnknownSync(Usage.Usage)

const dedupe = (annotations: ReadonlyArray<Json>): ReadonlyArray<Json> => {
  const seen = new Set<string>()
  return annotations.filter((a) => {
    const key = JSON.stringify(a)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const checkCompletion = (fixture: Fixture, completion: ChatCompletion.ChatCompletion) => {
  const expect = fixture.expect
  assert.strictEqual(completion.object, "chat.completion")
  assert.deepStrictEqual(
    completion.choices.map((c) => c.index),
    Object.keys(expect.text).map(Number).sort((a, b) => a - b),
    "choice indices"
  )
  for (const [choice, text] of Object.entries(expect.text)) {
    assert.strictEqual(ChatCompletion.text(completion, Number(choice)), text, `text of choice ${choice}`)
  }
  for (const [choice, reasoning] of Object.entries(expect.reasoning ?? {})) {
    assert.strictEqual(ChatCompletion.reasoning(completion, Number(choice)), reasoning, `reasoning of ${choice}`)
  }
  for (const [choice, refusal] of Object.entries(expect.refusal ?? {})) {
    const message = completion.choices.find((c) => c.index === Number(choice))?.message
    assert.strictEqual(message?.refusal, refusal, `refusal of ${choice}`)
  }
  const calls = ChatCompletion.toolCalls(completion)
  const expectedCalls = [...expect.toolCalls].sort((a: Json, b: Json) =>
    (a.choice ?? 0) - (b.choice ?? 0) || (a.index ?? 0) - (b.index ?? 0)
  )
  assert.deepStrictEqual(
    calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
    expectedCalls.map((c: Json) => ({ id: c.id, name: c.name, arguments: c.arguments })),
    "tool calls"
  )
  for (const call of calls) assert.strictEqual(call.type, "function")
  const finish = expect.finishReason
  if (finish === null) {
    for (const c of completion.choices) assert.isUndefined(c.finish_reason)
  } else if (typeof finish === "string") {
    assert.strictEqual(completion.choices.length, 1)
    assert.strictEqual(completion.choices[0].finish_reason, finish)
  } else {
    for (const [choice, reason] of Object.entries(finish)) {
      assert.strictEqual(completion.choices.find((c) => c.index === Number(choice))?.finish_reason, reason)
    }
  }
  if (expect.usage === null) assert.isUndefined(completion.usage)
  else {
    assert.deepStrictEqual(completion.usage, decodeUsage(expect.usage), "usage")
    const usage = completion.usage as unknown as Record<string, unknown>
    for (const [key, value] of Object.entries(expect.usage)) {
      if (value !== null) assert.deepStrictEqual(usage[key], value, `usage.${key}`)
    }
  }
  if (expect.annotations !== undefined) {
    const annotations = completion.choices.flatMap((c) => c.message.annotations ?? [])
    assert.deepStrictEqual(
      annotations.map((a) => JSON.stringify(a)),
      dedupe(expect.annotations).map((a) => JSON.stringify(a))
    )
  }
  const encoded = Schema.encodeSync(ChatCompletion.ChatCompletion)(completion)
  assert.deepStrictEqual(Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)(encoded), completion, "round trip")
}

const checkError = (fixture: Fixture, error: unknown) => {
  const expected = fixture.expect.error
  assert.instanceOf(error, NexosError.StreamError)
  const e = error as NexosError.StreamError
  assert.strictEqual(e.message, expected.message)
  assert.deepStrictEqual(e.code, expected.code)
  if (expected.type !== undefined) assert.strictEqual(e.type, expected.type)
  assert.isFalse(e.isRetryable)
}

describe("real-world streams", () => {
  it("has fixtures", () => {
    assert.isAtLeast(fixtures.length, 16)
  })

  for (const fixture of [...fixtures, multibyte]) {
    it.effect(`${fixture.name}: decodeSse + accumulate give the expected completion`, () =>
      Effect.gen(function*() {
        const result = yield* Effect.either(run(fixture))
        if (fixture.expect.error !== undefined) {
          assert.isTrue(Either.isLeft(result), "the stream must fail with its error frame")
          if (Either.isLeft(result)) checkError(fixture, result.left)
        } else {
          if (Either.isLeft(result)) assert.fail(`unexpected failure: ${String(result.left)}`)
          else checkCompletion(fixture, result.right)
        }
      }))

    if (!requireDone(fixture) && fixture.expect.error === undefined) {
      it.effect(`${fixture.name}: without [DONE] fails with StreamTruncated by default`, () =>
        Effect.gen(function*() {
          const exit = yield* Effect.exit(
            ChatStream.accumulate(ChatStream.decodeSse(Stream.make(fixture.bytes)))
          )
          assert.isTrue(Exit.isFailure(exit))
          const error = Exit.isFailure(exit) ? exit.cause : undefined
          assert.include(String(error), "StreamTruncated")
        }))
    }

    it.effect(`${fixture.name}: events agree with accumulate`, () =>
      Effect.gen(function*() {
        const events = yield* eventsOf(fixture, [fixture.bytes])
        const ok = events.filter(Either.isRight).map((e) => e.right)
        if (fixture.expect.error !== undefined) {
          const last = events[events.length - 1]
          assert.isTrue(Either.isLeft(last))
          if (Either.isLeft(last)) checkError(fixture, last.left)
          return
        }
        assert.strictEqual(ok.length, events.length)
        assert.strictEqual(ok[0]?._tag, "Metadata")
        assert.strictEqual(ok.filter((e) => e._tag === "Metadata").length, 1)
        for (const [choice, text] of Object.entries(fixture.expect.text)) {
          const got = ok.filter((e) => e._tag === "TextDelta" && e.choice === Number(choice))
            .map((e) => e._tag === "TextDelta" ? e.delta : "").join("")
          assert.strictEqual(got, text)
        }
        const calls = ok.filter((e) => e._tag === "ToolCall")
        assert.strictEqual(calls.length, fixture.expect.toolCalls.length)
        for (const expected of fixture.expect.toolCalls) {
          const call = calls.find((c) => c._tag === "ToolCall" && c.id === expected.id && c.name === expected.name)
          assert.isDefined(call, `tool call ${expected.id}`)
          if (call?._tag === "ToolCall") {
            assert.strictEqual(call.arguments, expected.arguments)
            if (expected.index !== undefined) assert.strictEqual(call.index, expected.index)
            assert.isTrue(Either.isRight(call.parsed))
          }
        }
        const usage = ok.filter((e) => e._tag === "Usage")
        assert.strictEqual(usage.length, fixture.expect.usage === null ? 0 : 1)
        const finishes = ok.filter((e) => e._tag === "Finish")
        const finish = fixture.expect.finishReason
        assert.strictEqual(
          finishes.length,
          finish === null ? 0 : typeof finish === "string" ? 1 : Object.keys(finish).length
        )
      }))
  }
})

const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): ReadonlyArray<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Array<Uint8Array> = []
  let from = 0
  for (const p of points) {
    pieces.push(bytes.subarray(from, p))
    from = p
  }
  pieces.push(bytes.subarray(from))
  return pieces
}

const withLineEndings = (bytes: Uint8Array, eol: string): Uint8Array =>
  new TextEncoder().encode(new TextDecoder().decode(bytes).replace(/\n/g, eol))

describe("byte boundaries and line endings", () => {
  for (const fixture of [...fixtures, multibyte]) {
    it.effect(`${fixture.name}: the same events at any byte boundaries`, () =>
      Effect.gen(function*() {
        const whole = yield* eventsOf(fixture, [fixture.bytes])
        const bytewise = yield* eventsOf(fixture, splitAt(fixture.bytes, [...fixture.bytes.keys()]), 7)
        assert.deepStrictEqual(bytewise, whole)
        const samples = fc.sample(
          fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4 })),
          { numRuns: 40, seed: 42 }
        )
        for (const [cuts, perChunk] of samples) {
          const events = yield* eventsOf(fixture, splitAt(fixture.bytes, cuts), perChunk)
          assert.deepStrictEqual(events, whole, `cuts ${JSON.stringify(cuts)}`)
        }
      }))

    it.effect(`${fixture.name}: CRLF and CR line endings give the same result`, () =>
      Effect.gen(function*() {
        const whole = yield* eventsOf(fixture, [fixture.bytes])
        for (const eol of ["\r\n", "\r"]) {
          const bytes = withLineEndings(fixture.bytes, eol)
          assert.deepStrictEqual(yield* eventsOf(fixture, [bytes]), whole, JSON.stringify(eol))
          const cuts = fc.sample(fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), { numRuns: 10, seed: 7 })
          for (const c of cuts) {
            assert.deepStrictEqual(yield* eventsOf(fixture, splitAt(bytes, c), 2), whole)
          }
        }
      }))
  }

  it("the multi-byte fixture really splits characters", () => {
    const text = new TextDecoder().decode(multibyte.bytes)
    assert.isAbove(multibyte.bytes.length, text.length)
  })
})
