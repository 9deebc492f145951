import { assert, describe, it } from "@effect/vitest"
import * as PartialJson from "@nexos-effect/client/PartialJson"

const documents: ReadonlyArray<unknown> = [
  { name: "Ada", age: 36, tags: ["math", "poetry"], address: { city: "London", zip: null } },
  { a: [], b: {}, c: [[], [{}], [1, [2, [3]]]], d: "" },
  { text: "quote \" backslash \\ slash / tab \t newline \n unicode é 😀 \u0001 end", n: -12.5e-3, t: true, f: false },
  [1, -0.5, 1e21, 3.14159, 0, { x: null }],
  { "": 1, "key with spaces": [true, false, null], nested: { deeper: { deepest: ["x".repeat(200)] } } }
]

const splits = (text: string, seed: number): Array<string> => {
  let h = seed >>> 0
  const out: Array<string> = []
  let at = 0
  while (at < text.length) {
    h = (Math.imul(h ^ (h >>> 15), 2246822507) + 0x9e3779b9) >>> 0
    const size = 1 + (h % 7)
    out.push(text.slice(at, at + size))
    at += size
  }
  return out
}

const parseAll = (fragments: ReadonlyArray<string>) => {
  const parser = PartialJson.make()
  for (const f of fragments) parser.push(f)
  return parser
}

describe("PartialJson", () => {
  it("fed in random fragments (also one character at a time), ends with what JSON.parse gives", () => {
    for (const doc of documents) {
      for (const pretty of [false, true]) {
        const text = pretty ? JSON.stringify(doc, null, 2) : JSON.stringify(doc)
        for (let seed = 1; seed <= 20; seed++) {
          const parser = parseAll(splits(text, seed))
          assert.isTrue(parser.isDone())
          assert.deepStrictEqual(parser.snapshot(), JSON.parse(text))
        }
        const byChar = parseAll(text.split(""))
        assert.deepStrictEqual(byChar.snapshot(), JSON.parse(text))
      }
    }
  })

  it("every prefix gives a value: open containers with what is complete, strings cut short", () => {
    const cases: ReadonlyArray<readonly [string, unknown]> = [
      ["", undefined],
      ["{", {}],
      ["{\"na", {}],
      ["{\"name\"", {}],
      ["{\"name\":", {}],
      ["{\"name\": \"Ad", { name: "Ad" }],
      ["{\"name\": \"Ada\", \"tags\": [\"ma", { name: "Ada", tags: ["ma"] }],
      ["{\"a\": [1, 2, {\"c\": tr", { a: [1, 2, {}] }],
      ["{\"a\": -", {}],
      ["{\"a\": 12", { a: 12 }],
      ["{\"a\": 1.", { a: 1 }],
      ["{\"a\": 1e", { a: 1 }],
      ["{\"a\": {\"b\": {\"c\": [[", { a: { b: { c: [[]] } } }],
      ["{\"s\": \"a\\", { s: "a" }],
      ["{\"s\": \"a\\u00", { s: "a" }],
      ["{\"s\": \"a\\u00e9", { s: "aé" }],
      ["\"abc", "abc"],
      ["42", 42],
      ["[1, 2", [1, 2]],
      ["[1, 2,", [1, 2]]
    ]
    for (const [text, expected] of cases) assert.deepStrictEqual(PartialJson.parse(text), expected, text)
  })

  it("escapes and surrogate pairs split across fragments", () => {
    const parser = PartialJson.make()
    for (const f of ["{\"s\": \"a\\", "u00", "e9\\", "n\\ud83d", "\\ude00\"}"]) parser.push(f)
    assert.deepStrictEqual(parser.snapshot(), { s: "aé\n😀" })
  })

  it("snapshots share what did not change and copy only open containers", () => {
    const parser = PartialJson.make()
    parser.push("{\"done\": {\"x\": [1, 2]}, \"open\": [\"a\"")
    const first = parser.snapshot() as any
    assert.strictEqual(parser.snapshot(), first)
    parser.push(", \"b\"")
    const second = parser.snapshot() as any
    assert.notStrictEqual(second, first)
    assert.strictEqual(second.done, first.done)
    assert.deepStrictEqual(second.open, ["a", "b"])
    assert.deepStrictEqual(first.open, ["a"])
    parser.push("  ")
    assert.strictEqual(parser.snapshot(), second)
  })

  it("openSize counts the elements of the objects and arrays still open", () => {
    const parser = PartialJson.make()
    parser.push("{\"a\": [1, 2, {\"b\": 1, \"c\": [")
    assert.strictEqual(parser.openSize(), 0 + 2 + 1 + 0)
    parser.push("true]}, 3")
    assert.strictEqual(parser.openSize(), 3)
    parser.push("]}")
    assert.strictEqual(parser.openSize(), 0)
    assert.isTrue(parser.isDone())
  })

  it("skips a preamble or code fence before the value and ignores text after it", () => {
    assert.deepStrictEqual(PartialJson.parse("```json\n{\"a\": 1}\n```"), { a: 1 })
    assert.deepStrictEqual(PartialJson.parse("Here is the JSON: {\"a\": true} hope it helps"), { a: true })
    assert.deepStrictEqual(PartialJson.parse("  [true, {\"b\": null}]"), [true, { b: null }])
  })

  it("invalid JSON stops the parser with a reason and keeps the last value", () => {
    for (
      const [text, kept] of [["{\"a\": 1 \"b\": 2}", { a: 1 }], ["{\"a\": tru3}", {}], ["[1,]", [1]], [
        "{\"a\": 01x",
        {}
      ]] as const
    ) {
      const parser = PartialJson.make()
      parser.push(text)
      assert.isDefined(parser.failure(), text)
      assert.deepStrictEqual(parser.snapshot(), kept, text)
      parser.push("]}")
      assert.deepStrictEqual(parser.snapshot(), kept, text)
    }
  })

  it("a __proto__ key is an own property, never the prototype", () => {
    const value = PartialJson.parse("{\"__proto__\": {\"polluted\": true}, \"a\": {\"__proto__\": 1") as any
    assert.isTrue(Object.prototype.hasOwnProperty.call(value, "__proto__"))
    assert.isUndefined(({} as any).polluted)
    assert.isUndefined(value.polluted)
    assert.strictEqual(Object.getPrototypeOf(value), Object.prototype)
  })
})
