import { assert, describe, it } from "@effect/vitest"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import { Either, FastCheck as fc, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { decodeChunk } from "../src/internal/chunkDecoder.js"
import { decodeCompletion, DecodeFailure } from "../src/internal/completionDecoder.js"

// The hand-written completion normaliser must return exactly what the schema decodes (deepStrictEqual, and the same
// key order, checked through JSON.stringify), and fail exactly where the schema fails: on every recorded completion
// body and on generated completion-like values (nulls, missing fields, wrong types, extras, object arguments).

const schemaDecode = Schema.decodeUnknownEither(ChatCompletion.ChatCompletion)

let accepted = 0
let rejected = 0

const agree = (input: unknown): void => {
  const expected = schemaDecode(input)
  if (Either.isRight(expected)) accepted++
  else rejected++
  const actual = decodeCompletion(input)
  if (Either.isRight(expected)) {
    if (actual instanceof DecodeFailure) {
      assert.fail(`the schema accepts ${JSON.stringify(input)} but the decoder fails: ${actual.message}`)
    }
    assert.deepStrictEqual(actual, expected.right)
    assert.strictEqual(JSON.stringify(actual), JSON.stringify(expected.right), "same key order")
  } else {
    assert.instanceOf(actual, DecodeFailure, `the schema rejects ${JSON.stringify(input)} but the decoder accepts it`)
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const dir = path.resolve(root, "test/fixtures/real-world")

const bodies = (): ReadonlyArray<unknown> => {
  const completions = path.join(dir, "completions")
  return fs.readdirSync(completions).filter((f) => f.endsWith(".json")).map((f) =>
    JSON.parse(fs.readFileSync(path.join(completions, f), "utf8")).body
  )
}

describe("completion decoder equivalence", () => {
  it("agrees with the schema on every recorded completion body", () => {
    accepted = 0
    rejected = 0
    const all = bodies()
    for (const body of all) agree(body)
    assert.isAtLeast(all.length, 20)
    assert.strictEqual(accepted, all.length, "every recorded body decodes")
  })

  it("rejects what the schema rejects, with a path", () => {
    const cases: ReadonlyArray<[unknown, string]> = [
      [null, "completion:"],
      [[], "completion:"],
      [{ id: 5 }, "id:"],
      [{ choices: {} }, "choices:"],
      [{ choices: [null] }, "choices[0]:"],
      [{ choices: [{ message: [] }] }, "choices[0].message:"],
      [{ choices: [{ message: { content: 1 } }] }, "choices[0].message.content:"],
      [{ choices: [{ message: { content: [{ text: 1 }] } }] }, "choices[0].message.content[0].text:"],
      [{ choices: [{ message: { tool_calls: [{}, null] } }] }, "choices[0].message.tool_calls[1]:"],
      [{ choices: [{ message: { tool_calls: [{ function: { arguments: [1] } }] } }] }, "function.arguments:"],
      [{ choices: [{ message: { tool_calls: [{ function: { arguments: 5 } }] } }] }, "function.arguments:"],
      [{ choices: [{ message: { function_call: { name: 1 } } }] }, "choices[0].message.function_call.name:"],
      [{ choices: [{ message: { audio: { expires_at: "x" } } }] }, "choices[0].message.audio.expires_at:"],
      [{ choices: [{ message: { annotations: [{ url_citation: { url: 1 } }] } }] }, "annotations[0].url_citation.url:"],
      [{ choices: [{ finish_reason: 1 }] }, "choices[0].finish_reason:"],
      [{ choices: [{ logprobs: { content: [{ token: 1 }] } }] }, "choices[0].logprobs.content[0].token:"],
      [
        { usage: { completion_tokens_details: { reasoning_tokens: "1" } } },
        "completion_tokens_details.reasoning_tokens"
      ]
    ]
    for (const [input, where] of cases) {
      agree(input)
      const failure = decodeCompletion(input)
      assert.instanceOf(failure, DecodeFailure)
      if (failure instanceof DecodeFailure) assert.include(failure.message, where)
    }
  })

  it("fills the schema's defaults, keeps unknown fields by reference and turns object arguments into JSON text", () => {
    const vendor = { a: [1, null] }
    const input = {
      x_vendor: vendor,
      choices: [{ message: null, finish_reason: null }, {
        message: { role: null, tool_calls: [{ function: { arguments: { city: "Vilnius", "2": [true] } } }, {}] }
      }],
      usage: {}
    }
    agree(input)
    const decoded = decodeCompletion(input)
    assert.notInstanceOf(decoded, DecodeFailure)
    const c = decoded as ChatCompletion.ChatCompletion & { x_vendor: unknown }
    assert.strictEqual(c.x_vendor, vendor)
    assert.strictEqual(c.object, "chat.completion")
    assert.deepStrictEqual(c.choices[0], { index: 0, message: { role: "assistant" } })
    assert.deepStrictEqual(c.choices[1]!.message.tool_calls, [
      { id: "", type: "function", function: { name: "", arguments: "{\"2\":[true],\"city\":\"Vilnius\"}" } },
      { id: "", type: "function", function: { name: "", arguments: "" } }
    ])
    assert.deepStrictEqual(c.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })
  })

  it("drops __proto__ keys as the schema does, at every level and inside object arguments", () => {
    const inputs = [
      "{\"__proto__\":{\"usage\":{\"prompt_tokens\":\"x\"}},\"id\":\"a\"}",
      "{\"__proto__\":null,\"choices\":[{\"__proto__\":5,\"message\":{\"__proto__\":{\"role\":1}}}]}",
      "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{\"arguments\":{\"__proto__\":{\"x\":1},\"a\":1}}}]}}]}",
      "{\"usage\":{\"__proto__\":[],\"prompt_tokens_details\":{\"__proto__\":{}}}}"
    ]
    for (const text of inputs) {
      const input = JSON.parse(text)
      agree(input)
      const decoded = decodeCompletion(input) as unknown as { usage?: unknown }
      assert.strictEqual(Object.getPrototypeOf(decoded), Object.prototype)
      assert.isFalse("usage" in decoded && decoded.usage === undefined)
    }
    const chunk = decodeChunk(JSON.parse(inputs[0]!))
    assert.notInstanceOf(chunk, DecodeFailure)
    assert.deepStrictEqual(
      chunk,
      Schema.decodeUnknownSync(ChatCompletionChunk.ChatCompletionChunk)(JSON.parse(inputs[0]!))
    )
  })

  it("gives decodeChunk the schema's key order too (the primitives are shared)", () => {
    const decode = Schema.decodeUnknownSync(ChatCompletionChunk.ChatCompletionChunk)
    for (const body of bodies() as ReadonlyArray<any>) {
      const chunk = { ...body, choices: body.choices?.map((c: any) => ({ ...c, delta: c.message })) }
      assert.strictEqual(JSON.stringify(decodeChunk(chunk)), JSON.stringify(decode(chunk)))
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
  const extraKey = fc.constantFrom(
    "x_vendor",
    "provider",
    "native_finish_reason",
    "content_filter_results",
    "7",
    "__proto__"
  )
  const extras = fc.uniqueArray(fc.tuple(extraKey, fc.oneof(junk, fc.jsonValue({ maxDepth: 2 }))), {
    maxLength: 2,
    selector: ([k]) => k
  }).map((entries) => Object.fromEntries(entries))
  const completionLike = (junkWeight: number): fc.Arbitrary<unknown> => {
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
        extras,
        fc.boolean()
      ).map(([known, extra, extrasFirst]) => extrasFirst ? { ...extra, ...known } : { ...known, ...extra })
    const list = (item: fc.Arbitrary<unknown>) => fc.array(junkWeight === 0 ? item : value(item), { maxLength: 3 })

    const str = fc.string({ maxLength: 6 })
    const num = fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double())
    const usage = object({
      prompt_tokens: num,
      completion_tokens: num,
      total_tokens: num,
      nexos_credits_cost: num,
      prompt_tokens_details: object({ cached_tokens: num, audio_tokens: num }),
      completion_tokens_details: object({
        accepted_prediction_tokens: num,
        audio_tokens: num,
        reasoning_tokens: num,
        rejected_prediction_tokens: num
      })
    })
    const top = object({ token: str, logprob: num, bytes: list(num) })
    const tokenLogprob = object({ token: str, logprob: num, bytes: list(num), top_logprobs: list(top) })
    const part = object({
      type: fc.constantFrom("text", "thinking", "reasoning", "refusal", "image_url"),
      text: str,
      refusal: str,
      thinking: fc.oneof(str, fc.array(object({ type: str, text: str }), { maxLength: 2 }))
    })
    const argumentsObject = fc.uniqueArray(
      fc.tuple(fc.constantFrom("city", "unit", "2", "__proto__", "nested"), fc.jsonValue({ maxDepth: 2 })),
      { maxLength: 3, selector: ([k]) => k }
    ).map((entries) => Object.fromEntries(entries))
    const fn = object({ name: str, arguments: fc.oneof(str, argumentsObject) })
    const annotation = object({
      type: fc.constant("url_citation"),
      url_citation: object({ url: str, title: str, start_index: num, end_index: num })
    })
    const message = object({
      role: str,
      content: fc.oneof(str, list(part)),
      refusal: str,
      tool_calls: list(object({ id: str, type: str, function: fn })),
      function_call: fn,
      audio: object({ id: str, expires_at: num, data: str, transcript: str }),
      annotations: list(annotation),
      reasoning_content: str,
      reasoning: str
    })
    const choice = object({
      index: num,
      finish_reason: str,
      message,
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
  const completion = completionLike(1)
  const validCompletion = completionLike(0)

  it("agrees with the schema on generated completion-like values", () => {
    accepted = 0
    rejected = 0
    fc.assert(fc.property(completion, (input) => agree(input)), { numRuns: 3000, seed: 20251124 })
    assert.isAbove(accepted, 300, "enough generated values decode")
    assert.isAbove(rejected, 300, "enough generated values are rejected")
  })

  it("agrees with the schema on generated valid completions", () => {
    accepted = 0
    fc.assert(fc.property(validCompletion, (input) => agree(input)), { numRuns: 2000 })
    assert.isAbove(accepted, 1900)
  })

  it("agrees with the schema on generated values after a JSON round trip", () => {
    fc.assert(
      fc.property(completion, (input) => {
        const text = JSON.stringify(input)
        if (text !== undefined) agree(JSON.parse(text))
      }),
      { numRuns: 2000 }
    )
  })

  it("agrees with the schema on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (input) => agree(input)), { numRuns: 1000 })
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (message) => agree({ choices: [{ message }] })),
      { numRuns: 1000 }
    )
  })
})
