import { assert, describe, it } from "@effect/vitest"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ContentPart from "@nexos-effect/schema/ContentPart"
import { Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

// Every expectation is derived from the raw JSON body of each real-world capture, so the test holds for any file
// dropped into the directory. null and absent are the same thing on the wire (`orAbsent`).

type Json = any

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const dir = path.resolve(root, "test/fixtures/real-world/completions")
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
const bodyOf = (file: string): Json => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")).body

const decode = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)
const encode = Schema.encodeSync(ChatCompletion.ChatCompletion)

const orAbsent = <A>(value: A | null | undefined): A | undefined => value === null ? undefined : value

const stripNulls = (value: Json): Json =>
  Array.isArray(value)
    ? value.map(stripNulls)
    : typeof value === "object" && value !== null
    ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, stripNulls(v)]))
    : value

const expectedText = (content: Json): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content.filter((p: Json) => p?.type === "text" && typeof p.text === "string").map((p: Json) => p.text).join(
    ""
  )
}

const rawToolCall = (call: Json) => ({
  id: orAbsent(call.id) ?? "",
  type: orAbsent(call.type) ?? "function",
  name: orAbsent(call.function?.name) ?? "",
  arguments: orAbsent(call.function?.arguments) ?? ""
})

const decodedToolCall = (call: { id: string; type: string; function: { name: string; arguments: string } }) => ({
  id: call.id,
  type: call.type,
  name: call.function.name,
  arguments: call.function.arguments
})

const citation = (annotation: Json) => ({
  type: orAbsent(annotation.type),
  url: orAbsent(annotation.url_citation?.url),
  title: orAbsent(annotation.url_citation?.title),
  start: orAbsent(annotation.url_citation?.start_index),
  end: orAbsent(annotation.url_citation?.end_index)
})

const logprobShape = (logprobs: Json) =>
  logprobs === null || logprobs === undefined ? undefined : {
    content: orAbsent(logprobs.content)?.map((t: Json) => ({
      token: t.token,
      logprob: t.logprob,
      top: orAbsent(t.top_logprobs)?.length
    })),
    refusal: orAbsent(logprobs.refusal)?.length
  }

// Fields the schema fills in with a default when the wire omits them; the encoded value may carry them.
const defaults: Record<string, unknown> = {
  id: "",
  object: "chat.completion",
  created: 0,
  model: "",
  choices: [],
  index: 0,
  message: { role: "assistant" },
  role: "assistant",
  type: "function",
  name: "",
  arguments: "",
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  token: "",
  logprob: 0
}

/** Every difference between `actual` and `expected` (both without nulls); `actual` may add defaulted fields. */
const differences = (actual: Json, expected: Json, at: string, out: Array<string>): Array<string> => {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      out.push(`${at}: expected an array of ${expected.length}, got ${JSON.stringify(actual)?.slice(0, 80)}`)
    } else expected.forEach((item, i) => differences(actual[i], item, `${at}[${i}]`, out))
  } else if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) {
      out.push(`${at}: expected an object, got ${JSON.stringify(actual)?.slice(0, 80)}`)
      return out
    }
    for (const key of Object.keys(expected)) {
      if (!(key in actual)) out.push(`${at}.${key}: missing`)
      else differences(actual[key], expected[key], `${at}.${key}`, out)
    }
    for (const key of Object.keys(actual)) {
      if (key in expected) continue
      if (!(key in defaults) || JSON.stringify(actual[key]) !== JSON.stringify(defaults[key])) {
        out.push(`${at}.${key}: not in the body (${JSON.stringify(actual[key])?.slice(0, 80)})`)
      }
    }
  } else if (!Object.is(actual, expected)) {
    out.push(`${at}: expected ${JSON.stringify(expected)?.slice(0, 80)}, got ${JSON.stringify(actual)?.slice(0, 80)}`)
  }
  return out
}

describe("real-world completions", () => {
  it("the fixture directory is not empty", () => {
    assert.isAbove(files.length, 0)
  })

  for (const file of files) {
    describe(file, () => {
      const body = bodyOf(file)

      it("decodes with the values of the body", () => {
        const completion = decode(body)
        assert.strictEqual(completion.id, orAbsent(body.id) ?? "")
        assert.strictEqual(completion.object, orAbsent(body.object) ?? "chat.completion")
        assert.strictEqual(completion.model, orAbsent(body.model) ?? "")
        assert.strictEqual(completion.created, orAbsent(body.created) ?? 0)
        assert.strictEqual(completion.system_fingerprint, orAbsent(body.system_fingerprint))
        assert.strictEqual(completion.service_tier, orAbsent(body.service_tier))

        const rawChoices: Array<Json> = orAbsent(body.choices) ?? []
        assert.strictEqual(completion.choices.length, rawChoices.length)
        rawChoices.forEach((raw, i) => {
          const choice = completion.choices[i]!
          const message = raw.message ?? {}
          assert.strictEqual(choice.index, orAbsent(raw.index) ?? 0, `choice ${i} index`)
          assert.strictEqual(choice.finish_reason, orAbsent(raw.finish_reason), `choice ${i} finish_reason`)
          assert.strictEqual(ContentPart.text(choice.message.content), expectedText(message.content))
          assert.strictEqual(ChatCompletion.text(completion, choice.index), expectedText(message.content))
          assert.deepStrictEqual(stripNulls(choice.message.content), stripNulls(orAbsent(message.content)))
          assert.strictEqual(choice.message.refusal, orAbsent(message.refusal), `choice ${i} refusal`)
          assert.strictEqual(choice.message.reasoning_content, orAbsent(message.reasoning_content))
          assert.strictEqual(choice.message.reasoning, orAbsent(message.reasoning))
          assert.deepStrictEqual(
            (choice.message.tool_calls ?? []).map(decodedToolCall),
            (orAbsent(message.tool_calls) ?? []).map(rawToolCall),
            `choice ${i} tool calls`
          )
          assert.deepStrictEqual(
            (choice.message.annotations ?? []).map(citation),
            (orAbsent(message.annotations) ?? []).map(citation),
            `choice ${i} annotations`
          )
          assert.deepStrictEqual(logprobShape(choice.logprobs), logprobShape(raw.logprobs), `choice ${i} logprobs`)
        })

        const usage = orAbsent(body.usage)
        if (usage === undefined) {
          assert.isUndefined(completion.usage)
        } else {
          assert.isDefined(completion.usage)
          const decoded = completion.usage!
          assert.strictEqual(decoded.prompt_tokens, orAbsent(usage.prompt_tokens) ?? 0)
          assert.strictEqual(decoded.completion_tokens, orAbsent(usage.completion_tokens) ?? 0)
          assert.strictEqual(decoded.total_tokens, orAbsent(usage.total_tokens) ?? 0)
          assert.strictEqual(decoded.nexos_credits_cost, orAbsent(usage.nexos_credits_cost))
          assert.deepStrictEqual(
            stripNulls(decoded.prompt_tokens_details),
            stripNulls(orAbsent(usage.prompt_tokens_details))
          )
          assert.deepStrictEqual(
            stripNulls(decoded.completion_tokens_details),
            stripNulls(orAbsent(usage.completion_tokens_details))
          )
        }
      })

      it("toolCalls lists every choice's tool calls in choice order", () => {
        const expected = (orAbsent(body.choices) ?? []).flatMap((c: Json) => orAbsent(c.message?.tool_calls) ?? [])
        assert.deepStrictEqual(ChatCompletion.toolCalls(decode(body)).map(decodedToolCall), expected.map(rawToolCall))
      })

      it("encodes back to the body, vendor fields included, at every level", () => {
        const encoded = encode(decode(body))
        assert.deepStrictEqual(differences(stripNulls(encoded), stripNulls(body), "$", []), [])
      })
    })
  }

  it("the set exercises tool calls, annotations, logprobs, content parts and vendor fields", () => {
    const bodies = files.map(bodyOf)
    const messages = bodies.flatMap((b) => (b.choices ?? []).map((c: Json) => c.message ?? {}))
    assert.isAbove(bodies.flatMap((b) => ChatCompletion.toolCalls(decode(b))).length, 1)
    assert.isTrue(messages.some((m) => (m.annotations ?? []).some((a: Json) => a.url_citation !== undefined)))
    assert.isTrue(messages.some((m) => Array.isArray(m.content)))
    assert.isTrue(bodies.some((b) => (b.choices ?? []).some((c: Json) => c.logprobs?.content?.length > 0)))
    // vendor fields at the top level and nested ones, which the round trip above must keep
    const encoded = bodies.map((b) => encode(decode(b)) as Json)
    const vendorTop = encoded.flatMap((e) => Object.keys(e)).filter((k) => !(k in ChatCompletion.ChatCompletion.fields))
    assert.includeMembers(vendorTop, ["moderation", "prompt_filter_results", "x_groq", "citations"])
    const vendorChoice = encoded.flatMap((e) => e.choices.flatMap((c: Json) => Object.keys(c)))
      .filter((k) => !(k in ChatCompletion.Choice.fields))
    assert.includeMembers(vendorChoice, ["content_filter_results", "stop_reason"])
  })
})
