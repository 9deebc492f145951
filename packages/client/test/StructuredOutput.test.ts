import { assert, describe, it } from "@effect/vitest"
import * as StrictSchema from "@nexos-effect/client/StrictSchema"
import * as StructuredOutput from "@nexos-effect/client/StructuredOutput"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import { Chunk, Effect, Either, Schema, Stream } from "effect"

const Answer = Schema.Struct({ city: Schema.String, population: Schema.optional(Schema.Number) })
const strict = StrictSchema.unsafeMake(Answer, { name: "answer" })

const completion = (
  message: Partial<ChatCompletion.Message>,
  finish: string | undefined = "stop"
): ChatCompletion.ChatCompletion => ({
  id: "c1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{
    index: 0,
    message: { role: "assistant", ...message },
    ...(finish === undefined ? {} : { finish_reason: finish })
  }]
})

const error = (c: ChatCompletion.ChatCompletion) =>
  Either.getOrThrowWith(
    Either.flip(StructuredOutput.decodeCompletion(c, strict)),
    () => new Error("expected a failure")
  )

const chunk = (
  choice: number,
  delta: object,
  finish: string | null = null
): ChatCompletionChunk.ChatCompletionChunk => ({
  id: "c1",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: choice, delta, finish_reason: finish }]
} as unknown as ChatCompletionChunk.ChatCompletionChunk)

describe("StructuredOutput", () => {
  it("prepare sets the strict json_schema format, or json_object with the instruction appended", () => {
    const request = {
      model: "m",
      messages: [{ role: "user" as const, content: "Where?" }],
      response_format: { type: "json_object" as const }
    }
    assert.deepStrictEqual(StructuredOutput.prepare(request, strict), {
      ...request,
      response_format: StrictSchema.responseFormat(strict)
    })
    const jsonObject = StructuredOutput.prepare(
      { ...request, response_format: { type: "text" } },
      strict,
      "json_object"
    )
    assert.deepStrictEqual(jsonObject.response_format, { type: "json_object" })
    assert.deepStrictEqual(jsonObject.messages, [
      ...request.messages,
      { role: "system", content: StrictSchema.instruction(strict) }
    ])
  })

  it("decodes the first choice; a fenced JSON answer is accepted", () => {
    const ok = Either.getOrThrow(
      StructuredOutput.decodeCompletion(completion({ content: "{\"city\":\"Vilnius\",\"population\":null}" }), strict)
    )
    assert.deepStrictEqual(ok.value, { city: "Vilnius" })
    const fenced = StructuredOutput.decodeCompletion(
      completion({ content: "```json\n{\"city\":\"Riga\",\"population\":1}\n```" }),
      strict
    )
    assert.deepStrictEqual(Either.getOrThrow(fenced).value, { city: "Riga", population: 1 })
  })

  it("a refusal wins, then a content filter, then the token limit; each keeps text, reason and completion", () => {
    const refused = error(completion({ content: "{\"ci", refusal: "I cannot." }, "length"))
    assert.strictEqual(refused._tag, "Refusal")
    assert.strictEqual(refused.text, "{\"ci")
    assert.strictEqual((refused as StructuredOutput.Refusal).refusal, "I cannot.")
    const filtered = error(completion({ content: "{\"ci" }, "content_filter"))
    assert.strictEqual(filtered._tag, "ContentFiltered")
    assert.strictEqual(filtered.finishReason, "content_filter")
    const truncated = error(completion({ content: "{\"city\":\"Vil" }, "max_tokens"))
    assert.strictEqual(truncated._tag, "Truncated")
    assert.strictEqual(truncated.text, "{\"city\":\"Vil")
    assert.strictEqual(truncated.finishReason, "max_tokens")
    assert.strictEqual(truncated.completion?.id, "c1")
    for (const e of [refused, filtered, truncated]) assert.isTrue(StructuredOutput.isStructuredError(e))
    assert.isFalse(StructuredOutput.isStructuredError({ _tag: "Refusal", text: "" }))
  })

  it("no text, no JSON and the wrong shape are OutputMismatch with the reason and issues", () => {
    const empty = error(completion({}))
    assert.strictEqual(empty._tag, "OutputMismatch")
    assert.include(empty.message, "no text")
    const prose = error(completion({ content: "Vilnius." }))
    assert.strictEqual(prose._tag, "OutputMismatch")
    assert.include(prose.message, "not JSON")
    assert.strictEqual(prose.text, "Vilnius.")
    const shape = error(
      completion({ content: "{\"city\":1,\"population\":\"many\"}" })
    ) as StructuredOutput.OutputMismatch
    assert.deepStrictEqual(shape.issues.map((i) => i.path), ["$.city", "$.population"])
    assert.include(shape.message, "$.city")
    assert.include(shape.message, "(and 1 more)")
  })

  it.effect("fromChunks: partials of choice 0 as its text grows, then Complete with the accumulated completion", () =>
    Effect.gen(function*() {
      const pieces = ["{\"ci", "ty\":\"Vil", "nius\",", "\"popul", "ation\":nu", "ll}"]
      const chunks = [
        chunk(0, { role: "assistant", content: "" }),
        ...pieces.flatMap((p) => [chunk(0, { content: p }), chunk(1, { content: "x" })]),
        chunk(0, {}, "stop")
      ]
      const events = Chunk.toReadonlyArray(
        yield* Stream.runCollect(
          Stream.fromIterable(chunks).pipe(Stream.rechunk(1), StructuredOutput.fromChunks(strict))
        )
      )
      assert.deepStrictEqual(events.slice(0, -1).map((e) => e._tag === "Partial" ? e.value : undefined), [
        {},
        { city: "Vil" },
        { city: "Vilnius" },
        { city: "Vilnius" }
      ])
      assert.deepStrictEqual(events.slice(0, -1).map((e) => e._tag === "Partial" ? e.text : undefined), [
        "{\"ci",
        "{\"city\":\"Vil",
        "{\"city\":\"Vilnius\",",
        "{\"city\":\"Vilnius\",\"population\":null}"
      ])
      const last = events[events.length - 1]!
      assert.strictEqual(last._tag, "Complete")
      if (last._tag === "Complete") {
        assert.deepStrictEqual(last.value, { city: "Vilnius" })
        assert.strictEqual(last.completion.choices[0]!.message.content, pieces.join(""))
        assert.strictEqual(last.completion.choices.length, 2)
      }
    }))

  it.effect("fromChunks keeps the copies of a large open array linear in the text", () =>
    Effect.gen(function*() {
      const Numbers = StrictSchema.unsafeMake(Schema.Struct({ values: Schema.Array(Schema.Number) }))
      const text = JSON.stringify({ values: Array.from({ length: 5000 }, (_, i) => i) })
      const deltas: Array<string> = []
      for (let i = 0; i < text.length; i += 3) deltas.push(text.slice(i, i + 3))
      const events = Chunk.toReadonlyArray(
        yield* Stream.runCollect(
          Stream.fromIterable([...deltas.map((d) => chunk(0, { content: d })), chunk(0, {}, "stop")]).pipe(
            StructuredOutput.fromChunks(Numbers)
          )
        )
      )
      const partials = events.filter((e) => e._tag === "Partial")
      const open = partials.filter((p) => !p.text.includes("]"))
      const copied = open.reduce((n, p) => n + (p.value.values?.length ?? 0), 0)
      assert.isBelow(copied, text.length + 64 * partials.length)
      assert.isAbove(partials.length, 50)
      assert.isBelow(partials.length, deltas.length / 4)
      assert.strictEqual(partials[partials.length - 1]!.value.values!.length > 4000, true)
      const last = events[events.length - 1]!
      assert.strictEqual(last._tag === "Complete" && last.value.values.length, 5000)
    }))

  it.effect("fromChunks fails at the end with the same errors as decodeCompletion", () =>
    Effect.gen(function*() {
      const run = (chunks: ReadonlyArray<ChatCompletionChunk.ChatCompletionChunk>) =>
        Effect.flip(Stream.runDrain(Stream.fromIterable(chunks).pipe(StructuredOutput.fromChunks(strict))))
      const cut = yield* run([chunk(0, { content: "{\"city\":\"Vi" }), chunk(0, {}, "length")])
      assert.strictEqual(cut._tag, "Truncated")
      assert.strictEqual(cut.text, "{\"city\":\"Vi")
      const refused = yield* run([chunk(0, { refusal: "No" }), chunk(0, { refusal: "pe." }, "stop")])
      assert.strictEqual(refused._tag, "Refusal")
      assert.strictEqual((refused as StructuredOutput.Refusal).refusal, "Nope.")
      const wrong = yield* run([chunk(0, { content: "{\"town\":\"Vilnius\"}" }, "stop")])
      assert.strictEqual(wrong._tag, "OutputMismatch")
    }))
})
