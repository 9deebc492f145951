import { assert, describe, it } from "@effect/vitest"
import * as StrictSchema from "@nexos-effect/client/StrictSchema"
import { Either, Option, Schema } from "effect"

const make = <A, I>(schema: Schema.Schema<A, I>, options?: StrictSchema.Options) =>
  Either.getOrThrowWith(StrictSchema.make(schema, options), (e) => new Error(e.message))

const rejected = <A, I>(schema: Schema.Schema<A, I>) =>
  Either.getOrThrowWith(Either.flip(StrictSchema.make(schema)), () => new Error("expected UnsupportedSchema"))

const decoded = <A, I>(strict: StrictSchema.StrictSchema<A, I>, json: unknown) =>
  Either.getOrThrowWith(StrictSchema.decode(strict, json), (e) => new Error(e.message))

const nullable = (json: object) => ({ anyOf: [json, { type: "null" }] })

const object = (properties: Record<string, unknown>) => ({
  type: "object",
  properties,
  required: Object.keys(properties),
  additionalProperties: false
})

/** Every object of a strict schema lists all its properties as required and closes additionalProperties. */
const assertStrict = (json: unknown, path = "$"): void => {
  if (Array.isArray(json)) return json.forEach((j, i) => assertStrict(j, `${path}[${i}]`))
  if (typeof json !== "object" || json === null) return
  const node = json as Record<string, unknown>
  if (node.type === "object") {
    assert.deepStrictEqual(node.required, Object.keys(node.properties as object), `required at ${path}`)
    assert.strictEqual(node.additionalProperties, false, `additionalProperties at ${path}`)
  }
  for (const [key, value] of Object.entries(node)) assertStrict(value, `${path}.${key}`)
}

describe("StrictSchema", () => {
  it("optional fields become required and nullable; null decodes as absent", () => {
    const strict = make(Schema.Struct({
      a: Schema.optional(Schema.String),
      b: Schema.optionalWith(Schema.Number, { exact: true }),
      c: Schema.optionalWith(Schema.Number, { default: () => 7 }),
      d: Schema.optional(Schema.NullOr(Schema.String)),
      e: Schema.String
    }))
    assert.deepStrictEqual(
      strict.jsonSchema,
      object({
        a: nullable({ type: "string" }),
        b: nullable({ type: "number" }),
        c: nullable({ type: "number" }),
        d: nullable({ type: "string" }),
        e: { type: "string" }
      })
    )
    const value = decoded(strict, { a: null, b: null, c: null, d: null, e: "x" })
    assert.deepStrictEqual(value, { c: 7, d: null, e: "x" })
    assert.isFalse("a" in value)
    assert.deepStrictEqual(decoded(strict, { a: "s", b: 1, c: 2, d: "t", e: "x" }), {
      a: "s",
      b: 1,
      c: 2,
      d: "t",
      e: "x"
    })
    assert.isTrue(Either.isLeft(StrictSchema.decode(strict, { a: null, b: null, c: null, d: null })))
  })

  it("nested structs, arrays and refinements: kept keywords, the rest described", () => {
    const strict = make(Schema.Struct({
      user: Schema.Struct({
        name: Schema.String.pipe(Schema.minLength(2)).annotations({ description: "full name" }),
        score: Schema.Int.pipe(Schema.between(1, 5)),
        email: Schema.optional(Schema.String.pipe(Schema.pattern(/@/))),
        tags: Schema.NonEmptyArray(Schema.String)
      })
    }))
    assert.deepStrictEqual(
      strict.jsonSchema,
      object({
        user: object({
          name: { type: "string", description: "full name" },
          score: { type: "integer", minimum: 1, maximum: 5 },
          email: nullable({ type: "string", pattern: "@" }),
          tags: { type: "array", items: { type: "string" }, minItems: 1 }
        })
      })
    )
    assert.strictEqual(strict.wrapped, false)
    assert.deepStrictEqual(decoded(strict, { user: { name: "Ada", score: 3, email: null, tags: ["x"] } }), {
      user: { name: "Ada", score: 3, tags: ["x"] }
    })
    assert.isTrue(
      Either.isLeft(StrictSchema.decode(strict, { user: { name: "A", score: 3, email: null, tags: ["x"] } }))
    )
    const described = make(Schema.Struct({ s: Schema.String.pipe(Schema.minLength(3)) }))
    assert.deepStrictEqual(described.jsonSchema.properties, {
      s: { type: "string", description: "a string at least 3 character(s) long" }
    })
  })

  it("unions in objects: anyOf of strict branches, decoded by branch, optionals per branch", () => {
    const Pet = Schema.Union(
      Schema.Struct({ kind: Schema.Literal("cat"), lives: Schema.Number }),
      Schema.Struct({ kind: Schema.Literal("dog"), good: Schema.optional(Schema.Boolean) })
    )
    const strict = make(Schema.Struct({ pet: Pet, size: Schema.Literal("s", "m"), note: Schema.NullOr(Schema.String) }))
    assert.deepStrictEqual(
      strict.jsonSchema,
      object({
        pet: {
          anyOf: [
            object({ kind: { type: "string", enum: ["cat"] }, lives: { type: "number" } }),
            object({ kind: { type: "string", enum: ["dog"] }, good: nullable({ type: "boolean" }) })
          ]
        },
        size: { type: "string", enum: ["s", "m"] },
        note: nullable({ type: "string" })
      })
    )
    assert.deepStrictEqual(decoded(strict, { pet: { kind: "dog", good: null }, size: "m", note: null }), {
      pet: { kind: "dog" },
      size: "m",
      note: null
    })
    assert.deepStrictEqual(decoded(strict, { pet: { kind: "cat", lives: 9 }, size: "s", note: "x" }).pet, {
      kind: "cat",
      lives: 9
    })
  })

  it("records become { key, value } entry arrays and decode back to records", () => {
    const strict = make(Schema.Struct({ scores: Schema.Record({ key: Schema.String, value: Schema.Number }) }))
    const scores = strict.jsonSchema.properties as Record<string, Record<string, unknown>>
    assert.strictEqual(scores.scores.type, "array")
    assert.deepStrictEqual(scores.scores.items, object({ key: { type: "string" }, value: { type: "number" } }))
    assert.deepStrictEqual(decoded(strict, { scores: [{ key: "a", value: 1 }, { key: "b", value: 2 }] }), {
      scores: { a: 1, b: 2 }
    })
    assert.deepStrictEqual(Either.getOrThrow(StrictSchema.toEncoded(strict, { scores: [{ key: "a", value: 1 }] })), {
      scores: { a: 1 }
    })
    const keyed = make(
      Schema.Struct({ m: Schema.Record({ key: Schema.TemplateLiteral("id-", Schema.Number), value: Schema.String }) })
    )
    const items = ((keyed.jsonSchema.properties as any).m.items.properties.key) as Record<string, unknown>
    assert.strictEqual(items.type, "string")
    assert.isTrue(new RegExp(items.pattern as string).test("id-12"))
    assert.isTrue(Either.isLeft(StrictSchema.decode(keyed, { m: [{ key: "nope", value: "x" }] })))
  })

  it("fixed tuples become objects keyed by position; tuples with a rest are rejected", () => {
    const strict = make(Schema.Struct({
      point: Schema.Tuple(Schema.Number, Schema.Number, Schema.optionalElement(Schema.String))
    }))
    const point = (strict.jsonSchema.properties as Record<string, Record<string, unknown>>).point
    assert.deepStrictEqual(point.properties, {
      "0": { type: "number" },
      "1": { type: "number" },
      "2": nullable({ type: "string" })
    })
    assert.deepStrictEqual(point.required, ["0", "1", "2"])
    assert.deepStrictEqual(decoded(strict, { point: { "0": 1, "1": 2, "2": null } }), { point: [1, 2] })
    assert.deepStrictEqual(decoded(strict, { point: { "0": 1, "1": 2, "2": "z" } }), { point: [1, 2, "z"] })
    const rest = rejected(Schema.Struct({ t: Schema.Tuple([Schema.String], Schema.Number) }))
    assert.strictEqual(rest._tag, "UnsupportedSchema")
    assert.strictEqual(rest.path, "$.t")
    assert.include(rest.message, "rest element")
  })

  it("non-object roots are wrapped in { value }", () => {
    const strict = make(Schema.Array(Schema.Struct({ x: Schema.Number })))
    assert.isTrue(strict.wrapped)
    assert.deepStrictEqual(
      strict.jsonSchema,
      object({ value: { type: "array", items: object({ x: { type: "number" } }) } })
    )
    assert.deepStrictEqual(decoded(strict, { value: [{ x: 1 }] }), [{ x: 1 }])
    const union = make(Schema.Union(Schema.String, Schema.Number))
    assert.deepStrictEqual(union.jsonSchema, object({ value: { anyOf: [{ type: "string" }, { type: "number" }] } }))
    assert.strictEqual(decoded(union, { value: 3 }), 3)
    const tuple = make(Schema.Tuple(Schema.String, Schema.Boolean))
    assert.isFalse(tuple.wrapped)
    assert.deepStrictEqual(decoded(tuple, { "0": "a", "1": true }), ["a", true])
  })

  it("rejects what has no strict JSON form, naming the path", () => {
    const cases: ReadonlyArray<readonly [Schema.Schema<any, any>, string, string]> = [
      [Schema.Struct({ meta: Schema.Struct({ raw: Schema.Unknown }) }), "$.meta.raw", "Schema.Unknown"],
      [Schema.Struct({ list: Schema.Array(Schema.Any) }), "$.list[*]", "Schema.Any"],
      [Schema.Struct({ at: Schema.DateFromSelf }), "$.at", "Schema.Date"],
      [
        Schema.Struct({ a: Schema.String }, Schema.Record({ key: Schema.String, value: Schema.Number })),
        "$",
        "index signatures"
      ],
      [Schema.Struct({ n: Schema.BigIntFromSelf }), "$.n", "bigint"],
      [
        Schema.Struct({ m: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
        "$.m[string]",
        "Schema.Unknown"
      ],
      [Schema.Struct({ "odd key": Schema.Object }), "$[\"odd key\"]", "Schema.Object"]
    ]
    for (const [schema, path, mention] of cases) {
      const error = rejected(schema)
      assert.strictEqual(error.path, path)
      assert.include(error.message, mention)
      assert.include(error.message, path)
    }
  })

  it("recursive schemas use $ref (# for the root, $defs otherwise)", () => {
    interface Tree {
      readonly label: string
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Schema<Tree> = Schema.Struct({
      label: Schema.String,
      children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Tree))
    })
    const strict = make(Tree)
    assert.deepStrictEqual(
      strict.jsonSchema,
      object({ label: { type: "string" }, children: { type: "array", items: { $ref: "#" } } })
    )
    assert.deepStrictEqual(decoded(strict, { label: "a", children: [{ label: "b", children: [] }] }), {
      label: "a",
      children: [{ label: "b", children: [] }]
    })
    const Node: Schema.Schema<Tree> = Schema.Struct({
      label: Schema.String,
      children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Node))
    }).annotations({ identifier: "Node" })
    const forest = make(Schema.Struct({ trees: Schema.Array(Node) }))
    const defs = forest.jsonSchema.$defs as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(defs), ["Node"])
    assert.deepStrictEqual(
      defs.Node,
      object({ label: { type: "string" }, children: { type: "array", items: { $ref: "#/$defs/Node" } } })
    )
    assert.deepStrictEqual(
      decoded(forest, { trees: [{ label: "a", children: [{ label: "b", children: [] }] }] }).trees[0]!.children[0]!
        .label,
      "b"
    )
  })

  it("transformations are described by their encoded side: classes, dates, options, numbers from strings", () => {
    class Person
      extends Schema.Class<Person>("Person")({ name: Schema.String, nick: Schema.optional(Schema.String) })
    {}
    const person = make(Person)
    assert.strictEqual(person.name, "Person")
    assert.deepStrictEqual(person.jsonSchema, object({ name: { type: "string" }, nick: nullable({ type: "string" }) }))
    const ada = decoded(person, { name: "Ada", nick: null })
    assert.instanceOf(ada, Person)
    assert.isFalse("nick" in ada)
    const strict = make(
      Schema.Struct({ at: Schema.Date, n: Schema.NumberFromString, o: Schema.OptionFromNullOr(Schema.Number) })
    )
    assertStrict(strict.jsonSchema)
    const value = decoded(strict, { at: "2026-01-02T03:04:05Z", n: "12", o: null })
    assert.strictEqual(value.at.toISOString(), "2026-01-02T03:04:05.000Z")
    assert.strictEqual(value.n, 12)
    assert.isTrue(Option.isNone(value.o))
  })

  it("every object in a larger schema is strict, and the response_format and instruction carry it", () => {
    const strict = make(
      Schema.Struct({
        a: Schema.optional(Schema.Struct({ b: Schema.Array(Schema.Struct({ c: Schema.optional(Schema.Number) })) })),
        d: Schema.Union(Schema.Struct({ e: Schema.optional(Schema.String) }), Schema.Literal("none")),
        r: Schema.Record({ key: Schema.String, value: Schema.Struct({ f: Schema.optional(Schema.Boolean) }) }),
        t: Schema.Tuple(Schema.Struct({ g: Schema.optional(Schema.String) }))
      }),
      { name: "shape", description: "a test shape" }
    )
    assertStrict(strict.jsonSchema)
    assert.deepStrictEqual(StrictSchema.responseFormat(strict), {
      type: "json_schema",
      json_schema: { name: "shape", description: "a test shape", schema: strict.jsonSchema, strict: true }
    })
    assert.include(StrictSchema.instruction(strict), JSON.stringify(strict.jsonSchema, null, 2))
    assert.deepStrictEqual(
      decoded(strict, { a: null, d: { e: null }, r: [{ key: "k", value: { f: null } }], t: { "0": { g: null } } }),
      { d: {}, r: { k: {} }, t: [{}] }
    )
    assert.strictEqual(make(Schema.Struct({ x: Schema.String })).name, "response")
  })

  it("partial maps an incomplete answer to the original shape, unvalidated", () => {
    const strict = make(Schema.Struct({
      name: Schema.String,
      age: Schema.optional(Schema.Number),
      scores: Schema.Record({ key: Schema.String, value: Schema.Number }),
      pair: Schema.Tuple(Schema.String, Schema.optionalElement(Schema.Number))
    }))
    assert.deepStrictEqual(
      StrictSchema.partial(strict, {
        name: "Ad",
        age: null,
        scores: [{ key: "a", value: 1 }, { key: "b" }],
        pair: { "0": "x" }
      }),
      { name: "Ad", scores: { a: 1 }, pair: ["x"] }
    )
    const wrapped = make(Schema.Array(Schema.String))
    assert.deepStrictEqual(StrictSchema.partial(wrapped, { value: ["a", "b"] }), ["a", "b"])
    assert.strictEqual(StrictSchema.partial(wrapped, {}), undefined)
    const shared = { a: 1 }
    const first = StrictSchema.partial(strict, { scores: [{ key: "k", value: 1 }], pair: shared }) as any
    const second = StrictSchema.partial(strict, { scores: [{ key: "k", value: 1 }], pair: shared }) as any
    assert.strictEqual(first.pair, second.pair)
  })
})
