import { assert, describe, it } from "@effect/vitest"
import { ChatCompletion } from "@nexos-effect/schema"
import { MockGateway } from "@nexos-effect/testing"
import { Effect, Schema } from "effect"
import * as JsonSchema from "../src/internal/jsonSchema.js"
import { bounded, chat, chunksOf, json, parseSse, text, user } from "./helpers.js"

const decodeCompletion = Schema.decodeUnknown(ChatCompletion.ChatCompletion)

const weather = {
  type: "object",
  properties: {
    city: { type: "string", minLength: 2 },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    days: { type: "integer", minimum: 1, maximum: 14 },
    currency: { type: "string", pattern: "^[A-Z]{3}$" },
    when: { type: "string", format: "date" },
    location: {
      type: "object",
      properties: { lat: { type: "number", minimum: -90, maximum: 90 }, lon: { type: "number" } },
      required: ["lat", "lon"]
    },
    tags: { type: "array", items: { type: "string", enum: ["a", "b"] }, minItems: 2, uniqueItems: true },
    optional: { type: "string" }
  },
  required: ["city", "unit", "days", "currency", "when", "location", "tags"],
  additionalProperties: false
}

const tools = [
  { type: "function", function: { name: "get_weather", description: "Weather", parameters: weather } },
  { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } }
]

const assertWeatherArgs = (args: any) => {
  assert.deepStrictEqual(Object.keys(args).sort(), ["city", "currency", "days", "location", "tags", "unit", "when"])
  assert.isString(args.city)
  assert.isAtLeast(args.city.length, 2)
  assert.include(["celsius", "fahrenheit"], args.unit)
  assert.isTrue(Number.isInteger(args.days) && args.days >= 1 && args.days <= 14)
  assert.match(args.currency, /^[A-Z]{3}$/)
  assert.match(args.when, /^\d{4}-\d{2}-\d{2}$/)
  assert.isTrue(args.location.lat >= -90 && args.location.lat <= 90)
  assert.isNumber(args.location.lon)
  assert.strictEqual(args.tags.length, 2)
  assert.strictEqual(new Set(args.tags).size, 2)
}

describe("tool calls", () => {
  it.scopedLive("function tools are called in parallel with arguments that satisfy their schemas", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const completion = yield* decodeCompletion(
        yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("weather in Paris?"), tools }), json)
      )
      assert.strictEqual(completion.choices[0].finish_reason, "tool_calls")
      const calls = ChatCompletion.toolCalls(completion)
      assert.deepStrictEqual(calls.map((c) => c.function.name), ["get_weather", "get_time"])
      assert.strictEqual(new Set(calls.map((c) => c.id)).size, 2)
      assertWeatherArgs(JSON.parse(calls[0].function.arguments))
      assert.deepStrictEqual(JSON.parse(calls[1].function.arguments), {})
    })))

  it.scopedLive("parallel_tool_calls false and tool_choice pick one call; none and a tool result answer in text", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const names = (body: object) =>
        Effect.map(
          Effect.flatMap(chat(gateway, { model: "m", messages: user("x"), tools, ...body }), json),
          (b) => (b.choices[0].message.tool_calls ?? []).map((c: any) => c.function.name)
        )
      assert.deepStrictEqual(yield* names({ parallel_tool_calls: false }), ["get_weather"])
      assert.deepStrictEqual(
        yield* names({ tool_choice: { type: "function", function: { name: "get_time" } } }),
        ["get_time"]
      )
      assert.deepStrictEqual(yield* names({ tool_choice: "none" }), [])
      const answer = yield* Effect.flatMap(
        chat(gateway, {
          model: "m",
          tools,
          messages: [
            ...user("weather?"),
            {
              role: "assistant",
              tool_calls: [{ id: "call_1", type: "function", function: { name: "get_time", arguments: "{}" } }]
            },
            { role: "tool", tool_call_id: "call_1", content: "12:00" }
          ]
        }),
        json
      )
      assert.strictEqual(answer.choices[0].finish_reason, "stop")
      assert.strictEqual(answer.choices[0].message.content, "The tools returned: 12:00.")
    })))

  it.scopedLive("streamed tool calls arrive as a start fragment and argument fragments per index", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const raw = yield* Effect.flatMap(
        chat(gateway, {
          model: "m",
          messages: user("x"),
          tools,
          stream: true,
          stream_options: { include_usage: true }
        }),
        text
      )
      const deltas = chunksOf(parseSse(raw)).flatMap((c) => c.choices.flatMap((ch: any) => ch.delta.tool_calls ?? []))
      const byIndex = new Map<number, { id?: string; name?: string; args: string; fragments: number }>()
      for (const d of deltas) {
        const entry = byIndex.get(d.index) ?? { args: "", fragments: 0 }
        if (d.id !== undefined) {
          assert.isUndefined(entry.id)
          entry.id = d.id
          entry.name = d.function.name
        }
        entry.args += d.function?.arguments ?? ""
        entry.fragments++
        byIndex.set(d.index, entry)
      }
      assert.deepStrictEqual([...byIndex.keys()], [0, 1])
      const first = byIndex.get(0)!
      assert.strictEqual(first.name, "get_weather")
      assert.isAbove(first.fragments, 5)
      assertWeatherArgs(JSON.parse(first.args))
      const finish = chunksOf(parseSse(raw)).flatMap((c) => c.choices.map((ch: any) => ch.finish_reason)).filter(
        Boolean
      )
      assert.deepStrictEqual(finish, ["tool_calls"])
    })))
})

describe("web_search", () => {
  it.scopedLive("answers carry url_citation annotations whose indices slice to the cited text", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const completion = yield* decodeCompletion(
        yield* Effect.flatMap(
          chat(gateway, { model: "m", messages: user("nexos"), tools: [{ type: "web_search" }] }),
          json
        )
      )
      const content = ChatCompletion.text(completion)
      const annotations = completion.choices[0].message.annotations ?? []
      assert.strictEqual(annotations.length, 2)
      for (const a of annotations) {
        assert.strictEqual(a.type, "url_citation")
        const c = a.url_citation!
        const cited = content.slice(c.start_index!, c.end_index!)
        assert.match(cited, /^[A-Z].*\.$/)
        assert.match(c.url!, /^https:\/\/example\.com\/search\/\d\?q=nexos$/)
      }
      assert.include(
        content.slice(annotations[0].url_citation!.start_index!, annotations[0].url_citation!.end_index!),
        "gateway"
      )
    })))

  it.scopedLive("streamed citations come in delta.annotations after the text, indexing the accumulated text", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const raw = yield* Effect.flatMap(
        chat(gateway, { model: "m", messages: user("nexos"), tools: [{ type: "web_search" }], stream: true }),
        text
      )
      const chunks = chunksOf(parseSse(raw))
      const at = chunks.findIndex((c) => c.choices[0].delta.annotations !== undefined)
      assert.isAbove(at, 0)
      const content = chunks.map((c) => c.choices[0].delta.content ?? "").join("")
      assert.isTrue(chunks.slice(at + 1).every((c) => (c.choices[0].delta.content ?? "") === ""))
      for (const a of chunks[at].choices[0].delta.annotations) {
        const slice = content.slice(a.url_citation.start_index, a.url_citation.end_index)
        assert.isTrue(slice.length > 20 && slice.endsWith("."))
      }
    })))

  it.scopedLive("rag and tika_ocr tools are acknowledged in the answer", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const body = yield* Effect.flatMap(
        chat(gateway, {
          model: "m",
          messages: user("docs"),
          tools: [{ type: "rag", rag: { mcp: { collection_uuid: "col-1" } } }, {
            type: "tika_ocr",
            tika_ocr: { file_id: "f-1" }
          }]
        }),
        json
      )
      assert.include(body.choices[0].message.content, "collection col-1")
      assert.include(body.choices[0].message.content, "file f-1")
    })))
})

describe("JSON Schema sampling", () => {
  it("covers required properties, enums, const, refs, unions, formats, patterns and ranges", () => {
    assertWeatherArgs(JsonSchema.sample(weather))
    assert.deepStrictEqual(
      JsonSchema.sample({
        type: "object",
        $defs: { id: { type: "string", format: "uuid" } },
        properties: {
          ref: { $ref: "#/$defs/id" },
          c: { const: 7 },
          u: { anyOf: [{ type: "null" }, { type: "integer", exclusiveMinimum: 5 }] },
          n: { type: ["null", "number"], multipleOf: 0.25, minimum: 0.3 },
          b: { type: "boolean" },
          all: {
            allOf: [{ type: "object", properties: { x: { type: "integer" } }, required: ["x"] }, { required: [] }]
          },
          tuple: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] },
          s: { type: "string", maxLength: 2 },
          code: { type: "string", pattern: "^(EUR|USD)-\\d{2}$" }
        },
        required: ["ref", "c", "u", "n", "b", "all", "tuple", "s", "code"]
      }),
      {
        ref: "00000000-0000-4000-8000-000000000000",
        c: 7,
        u: 6,
        n: 0.5,
        b: false,
        all: { x: 0 },
        tuple: ["mock", 0],
        s: "mo",
        code: "EUR-00"
      }
    )
    assert.strictEqual(JsonSchema.fromPattern("^[a-z]+@[a-z]+\\.com$"), "a@a.com")
    assert.isUndefined(JsonSchema.fromPattern("^(?=x)y$"))
  })
})
