import { assert, describe, it } from "@effect/vitest"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import { Effect, Either, FastCheck as fc, Schema, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { decodeChunk, DecodeFailure } from "../src/internal/chunkDecoder.js"

// The hand-written chunk normaliser must return exactly what the schema decodes, and fail exactly where the schema
// fails: on every recorded chunk and on generated chunk-like values (nulls, missing fields, wrong types, extras).

const schemaDecode = Schema.decodeUnknownEither(ChatCompletionChunk.ChatCompletionChunk)

let accepted = 0
let rejected = 0

const agree = (input: unknown): void => {
  const expected = schemaDecode(input)
  if (Either.isRight(expected)) accepted++
  else rejected++
  const actual = decodeChunk(input)
  if (Either.isRight(expected)) {
    if (actual instanceof DecodeFailure) {
      assert.fail(`the schema accepts ${JSON.stringify(input)} but the decoder fails: ${actual.message}`)
    }
    assert.deepStrictEqual(actual, expected.right)
  } else {
    assert.instanceOf(actual, DecodeFailure, `the schema rejects ${JSON.stringify(input)} but the decoder accepts it`)
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const dir = path.resolve(root, "test/fixtures/real-world")

const dataPayloads = (text: string): ReadonlyArray<string> =>
  text.split(/\r\n|\r|\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).filter((d) =>
    d !== "[DONE]"
  )

describe("chunk decoder equivalence", () => {
  it("agrees with the schema on every recorded chunk", () => {
    let count = 0
    const streams = path.join(dir, "streams")
    for (const file of fs.readdirSync(streams).filter((f) => f.endsWith(".sse"))) {
      for (const data of dataPayloads(fs.readFileSync(path.join(streams, file), "utf8"))) {
        agree(JSON.parse(data))
        count++
      }
    }
    assert.isAbove(count, 300)
  })

  it("agrees with the schema on recorded completion bodies (chunk-shaped or not)", () => {
    const completions = path.join(dir, "completions")
    for (const file of fs.readdirSync(completions).filter((f) => f.endsWith(".json"))) {
      const body = JSON.parse(fs.readFileSync(path.join(completions, file), "utf8")).body
      agree(body)
      agree({ ...body, choices: body.choices?.map((c: any) => ({ ...c, delta: c.message })) })
    }
  })

  it("rejects what the schema rejects, with a path", () => {
    const cases: ReadonlyArray<[unknown, string]> = [
      [[], "chunk"],
      [null, "chunk"],
      [{ id: 5 }, "id"],
      [{ choices: {} }, "choices"],
      [{ choices: [null] }, "choices[0]"],
      [{ choices: [{ delta: { content: 1 } }] }, "choices[0].delta.content"],
      [{ choices: [{ delta: { content: [{ type: 1 }] } }] }, "choices[0].delta.content[0].type"],
      [{ choices: [{ delta: { tool_calls: [{ function: { arguments: 5 } }] } }] }, "arguments"],
      [{ choices: [{ delta: { tool_calls: [{ function: { arguments: [1] } }] } }] }, "arguments"],
      [{ usage: { prompt_tokens: "1" } }, "usage.prompt_tokens"],
      [{ choices: [{ logprobs: { content: [{ top_logprobs: [{ bytes: ["x"] }] }] } }] }, "top_logprobs[0].bytes"]
    ]
    for (const [input, where] of cases) {
      agree(input)
      const failure = decodeChunk(input)
      assert.instanceOf(failure, DecodeFailure)
      if (failure instanceof DecodeFailure) assert.include(failure.message, where)
    }
  })

  const junk = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 4 }),
    fc.constant([]),
    fc.constant({}),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 2 }), fc.constant(null)), { maxLength: 2 })
  )
  const extraKey = fc.constantFrom("x_vendor", "obfuscation", "provider", "native_finish_reason", "content_filter")
  const chunkLike = (junkWeight: number): fc.Arbitrary<unknown> => {
    const value = <A>(valid: fc.Arbitrary<A>): fc.Arbitrary<unknown> =>
      junkWeight === 0
        ? fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.constant(null) })
        : fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.constant(null) }, {
          weight: junkWeight,
          arbitrary: junk
        })
    const object = (fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> =>
      fc.tuple(
        fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, value(a)])), { requiredKeys: [] }),
        fc.dictionary(extraKey, fc.oneof(junk, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 2 }),
        fc.boolean()
      ).map(([known, extra, extrasFirst]) => extrasFirst ? { ...extra, ...known } : { ...known, ...extra })
    const list = (item: fc.Arbitrary<unknown>) => fc.array(junkWeight === 0 ? item : value(item), { maxLength: 3 })

    const str = fc.string({ maxLength: 6 })
    const num = fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double())
    const details = object({ cached_tokens: num, audio_tokens: num, reasoning_tokens: num })
    const usage = object({
      prompt_tokens: num,
      completion_tokens: num,
      total_tokens: num,
      nexos_credits_cost: num,
      prompt_tokens_details: details,
      completion_tokens_details: object({
        accepted_prediction_tokens: num,
        audio_tokens: num,
        reasoning_tokens: num,
        rejected_prediction_tokens: num
      })
    })
    const top = object({ token: str, logprob: num, bytes: list(num) })
    const tokenLogprob = object({
      token: str,
      logprob: num,
      bytes: list(num),
      top_logprobs: list(top)
    })
    const part = object({
      type: fc.constantFrom("text", "thinking", "reasoning", "refusal", "image_url"),
      text: str,
      refusal: str,
      thinking: fc.oneof(str, fc.array(object({ type: str, text: str }), { maxLength: 2 }))
    })
    const fn = object({
      name: str,
      arguments: fc.oneof(str, fc.dictionary(str, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }))
    })
    const annotation = object({
      type: fc.constant("url_citation"),
      url_citation: object({ url: str, title: str, start_index: num, end_index: num })
    })
    const delta = object({
      role: str,
      content: fc.oneof(str, list(part)),
      refusal: str,
      reasoning_content: str,
      reasoning: str,
      tool_calls: list(object({ index: num, id: str, type: str, function: fn })),
      function_call: fn,
      annotations: list(annotation)
    })
    const choice = object({
      index: num,
      delta,
      finish_reason: str,
      logprobs: object({ content: list(tokenLogprob), refusal: list(tokenLogprob) })
    })
    return object({
      id: str,
      object: str,
      created: num,
      model: str,
      choices: list(choice),
      usage,
      system_fingerprint: str,
      service_tier: str
    })
  }
  const chunk = chunkLike(1)
  const validChunk = chunkLike(0)

  it("agrees with the schema on generated chunk-like values", () => {
    accepted = 0
    rejected = 0
    fc.assert(fc.property(chunk, (input) => agree(input)), { numRuns: 3000, seed: 20251124 })
    assert.isAbove(accepted, 300, "enough generated values decode")
    assert.isAbove(rejected, 300, "enough generated values are rejected")
  })

  it("agrees with the schema on generated valid chunks", () => {
    accepted = 0
    fc.assert(fc.property(validChunk, (input) => agree(input)), { numRuns: 2000 })
    assert.isAbove(accepted, 1900)
  })

  it("agrees with the schema on generated values after a JSON round trip", () => {
    fc.assert(
      fc.property(chunk, (input) => {
        const text = JSON.stringify(input)
        if (text !== undefined) agree(JSON.parse(text))
      }),
      { numRuns: 2000 }
    )
  })

  it("agrees with the schema on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (input) => agree(input)), { numRuns: 1000 })
  })

  it("keeps tool-call arguments sent as an object as their JSON text, as the completion decoder does", () => {
    const decoded = decodeChunk({
      choices: [{ delta: { tool_calls: [{ index: 0, function: { name: "f", arguments: { city: "Paris", n: 2 } } }] } }]
    })
    assert.notInstanceOf(decoded, DecodeFailure)
    const call = (decoded as ChatCompletionChunk.ChatCompletionChunk).choices[0]?.delta.tool_calls?.[0]
    assert.deepStrictEqual(call?.function, { name: "f", arguments: "{\"city\":\"Paris\",\"n\":2}" })
  })

  it("keeps unknown fields by reference and fills the schema's defaults", () => {
    const vendor = { a: [1, null] }
    const decoded = decodeChunk({ x_vendor: vendor, choices: [{ delta: null, finish_reason: null }], usage: {} })
    assert.notInstanceOf(decoded, DecodeFailure)
    const c = decoded as ChatCompletionChunk.ChatCompletionChunk & { x_vendor: unknown }
    assert.strictEqual(c.x_vendor, vendor)
    assert.deepStrictEqual(c.choices, [{ index: 0, delta: {} }])
    assert.deepStrictEqual(c.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })
    assert.strictEqual(c.object, "chat.completion.chunk")
  })
})

describe("secrets in stream errors", () => {
  const secret = "nexos-stream-secret-77"
  const run = (text: string) =>
    Effect.flip(
      Stream.runDrain(ChatStream.decodeSse(Stream.make(new TextEncoder().encode(text)), { secrets: [secret] }))
    )
  it.effect("are scrubbed from StreamError messages and bodies and from DecodeError excerpts", () =>
    Effect.gen(function*() {
      const frame = yield* run(`data: {"error":{"message":"Incorrect API key provided: ${secret}","code":401}}\n\n`)
      assert.strictEqual(frame._tag, "StreamError")
      assert.strictEqual(frame.message, "Incorrect API key provided: [REDACTED]")
      assert.notInclude(JSON.stringify(frame), secret)
      const bad = yield* run(`data: {not json ${secret}\n\n`)
      assert.strictEqual(bad._tag, "DecodeError")
      assert.notInclude(JSON.stringify(bad), secret)
      assert.include(bad._tag === "DecodeError" ? bad.excerpt : "", "[REDACTED]")
    }))
})
