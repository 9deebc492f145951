import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as StrictSchema from "@nexos-effect/client/StrictSchema"
import type * as StructuredOutput from "@nexos-effect/client/StructuredOutput"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Effect, Option, Schema, Stream } from "effect"
import { clientOnMock } from "./layers.js"

const Person = Schema.Struct({
  name: Schema.String,
  age: Schema.optional(Schema.Number),
  address: Schema.Struct({ city: Schema.String, zip: Schema.optional(Schema.String) }),
  contact: Schema.Union(
    Schema.Struct({ kind: Schema.Literal("email"), email: Schema.String }),
    Schema.Struct({ kind: Schema.Literal("phone"), phone: Schema.String })
  ),
  tags: Schema.Array(Schema.String)
})

const ask = (content: string, extra: Partial<ChatCompletionRequest.ChatCompletionRequest> = {}) => ({
  model: "GPT 5.4 mini",
  messages: [{ role: "user" as const, content }],
  ...extra
})

const nexos = NexosClient.NexosClient
const gateway = MockGateway.MockGateway

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

const answer = {
  name: "Ada",
  age: null,
  address: { city: "London", zip: "N1" },
  contact: { kind: "phone", phone: "+44 1" },
  tags: ["math"]
}

describe("structured output against the embedded gateway (real sockets)", () => {
  it.scopedLive("parse sends a strict json_schema and decodes the answer (nulls of absent optionals removed)", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const { completion, value } = yield* client.chat.completions.parse(
        ask("Who is Ada?", { response_format: { type: "text" } }),
        Person,
        { name: "person", headers: Reply.header(Reply.text(JSON.stringify(answer))) }
      )
      assert.deepStrictEqual(value, {
        name: "Ada",
        address: { city: "London", zip: "N1" },
        contact: { kind: "phone", phone: "+44 1" },
        tags: ["math"]
      })
      assert.isFalse("age" in value)
      assert.strictEqual(completion.choices[0]!.message.content, JSON.stringify(answer))
      assert.strictEqual(Option.getOrThrow(ResponseMeta.get(completion)).status, 200)
      const [received] = yield* (yield* gateway).requests
      const body = received!.body as ChatCompletionRequest.ChatCompletionRequest
      assert.deepStrictEqual(body.response_format, {
        type: "json_schema",
        json_schema: { name: "person", schema: StrictSchema.unsafeMake(Person).jsonSchema, strict: true }
      })
      assert.deepStrictEqual(body.messages, ask("Who is Ada?").messages)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("the gateway's own answer follows the requested schema and decodes, also for a recursive schema", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const person = yield* client.chat.completions.parse(ask("Invent a person"), Person)
      assert.strictEqual(person.value.name, "mock")
      assert.strictEqual(person.value.contact.kind, "email")
      assert.deepStrictEqual(person.value.tags, ["mock"])
      interface Tree {
        readonly label: string
        readonly children: ReadonlyArray<Tree>
      }
      const Tree: Schema.Schema<Tree> = Schema.Struct({
        label: Schema.String,
        children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Tree))
      })
      const tree = yield* client.chat.completions.parse(ask("A tree"), Tree)
      assert.strictEqual(tree.value.label, "mock")
      assert.strictEqual(tree.value.children[0]!.label, "mock")
      const list = yield* client.chat.completions.parse(ask("Three numbers"), Schema.Array(Schema.Int))
      assert.deepStrictEqual(list.value, [0])
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("json_object mode sends the instruction and json_object, and decodes the answer", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const { value } = yield* client.chat.completions.parse(ask("Who is Ada?"), Person, { mode: "json_object" })
      assert.strictEqual(value.address.city, "mock")
      const [received] = yield* (yield* gateway).requests
      const body = received!.body as ChatCompletionRequest.ChatCompletionRequest
      assert.deepStrictEqual(body.response_format, { type: "json_object" })
      assert.strictEqual(body.messages.length, 2)
      const instruction = body.messages[1]!
      assert.strictEqual(instruction.role, "system")
      assert.strictEqual(instruction.content, StrictSchema.instruction(StrictSchema.unsafeMake(Person)))
      assert.include(instruction.content as string, "\"additionalProperties\": false")
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("each failure is its own tagged error and keeps the raw text", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const parse = (reply: Reply.Reply, extra: Partial<ChatCompletionRequest.ChatCompletionRequest> = {}) =>
        failure(client.chat.completions.parse(ask("Who is Ada?", extra), Person, { headers: Reply.header(reply) }))

      const refusal = yield* parse(Reply.completion({ refusal: "I can't help with that." }))
      assert.strictEqual(refusal._tag, "Refusal")
      assert.strictEqual((refusal as StructuredOutput.Refusal).refusal, "I can't help with that.")
      assert.include(refusal.message, "I can't help with that.")

      const cut = JSON.stringify(answer).slice(0, 20)
      const truncated = yield* parse(Reply.text(cut, { finishReason: "length" }))
      assert.strictEqual(truncated._tag, "Truncated")
      assert.strictEqual((truncated as StructuredOutput.Truncated).text, cut)
      assert.strictEqual((truncated as StructuredOutput.Truncated).completion?.usage?.total_tokens !== undefined, true)

      const filtered = yield* parse(Reply.text("{\"name\":", { finishReason: "content_filter" }))
      assert.strictEqual(filtered._tag, "ContentFiltered")
      assert.strictEqual((filtered as StructuredOutput.ContentFiltered).text, "{\"name\":")

      const notJson = yield* parse(Reply.text("Ada is a mathematician."))
      assert.strictEqual(notJson._tag, "OutputMismatch")
      assert.strictEqual((notJson as StructuredOutput.OutputMismatch).text, "Ada is a mathematician.")
      assert.include(notJson.message, "not JSON")

      const wrongShape = yield* parse(Reply.text(JSON.stringify({ ...answer, address: { city: 7, zip: null } })))
      assert.strictEqual(wrongShape._tag, "OutputMismatch")
      const issues = (wrongShape as StructuredOutput.OutputMismatch).issues
      assert.deepStrictEqual(issues.map((i) => i.path), ["$.address.city"])
      assert.include(wrongShape.message, "$.address.city")

      assert.strictEqual((yield* gw.requests).length, 5)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("max_tokens cutting the gateway's JSON short is Truncated; an unsupported schema never reaches it", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const truncated = yield* failure(
        client.chat.completions.parse(ask("Who is Ada?", { max_completion_tokens: 5 }), Person)
      )
      assert.strictEqual(truncated._tag, "Truncated")
      assert.isTrue(
        JSON.stringify(answer).startsWith("{") && (truncated as StructuredOutput.Truncated).text.startsWith("{")
      )
      const unsupported = yield* failure(
        client.chat.completions.parse(ask("x"), Schema.Struct({ raw: Schema.Unknown }))
      )
      assert.strictEqual(unsupported._tag, "UnsupportedSchema")
      assert.strictEqual((unsupported as StrictSchema.UnsupportedSchema).path, "$.raw")
      assert.strictEqual((yield* (yield* gateway).requests).length, 1)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("parseStream gives growing partial values, then the validated value with the completion", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const text = JSON.stringify(answer)
      const events = Chunk.toReadonlyArray(
        yield* Stream.runCollect(
          client.chat.completions.parseStream(ask("Who is Ada?"), Person, {
            headers: { ...Reply.header(Reply.text(text)), ...Fault.header({ dripMs: 1 }) }
          })
        )
      )
      const partials = events.filter((e): e is StructuredOutput.Partial<typeof Person.Encoded> => e._tag === "Partial")
      const last = events[events.length - 1]!
      assert.strictEqual(last._tag, "Complete")
      assert.isAbove(partials.length, 5)
      assert.strictEqual(partials[partials.length - 1]!.text, text)
      for (let i = 1; i < partials.length; i++) {
        assert.isTrue(partials[i]!.text.startsWith(partials[i - 1]!.text))
      }
      const firstCity = partials.find((p) => p.value.address?.city !== undefined)!
      assert.isTrue("London".startsWith(firstCity.value.address!.city!))
      assert.isTrue(partials.some((p) => p.value.tags?.length === 1))
      assert.isFalse(partials.some((p) => "age" in p.value && p.value.age === null))
      if (last._tag === "Complete") {
        assert.deepStrictEqual(last.value.contact, { kind: "phone", phone: "+44 1" })
        assert.isDefined(last.completion.usage)
        assert.strictEqual(last.completion.choices[0]!.message.content, text)
      }
      const [received] = yield* (yield* gateway).requests
      assert.strictEqual((received!.body as ChatCompletionRequest.ChatCompletionRequest).stream, true)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("parseStream ends with the same tagged failures (refusal, length)", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const refusal = yield* failure(Stream.runDrain(
        client.chat.completions.parseStream(ask("x"), Person, {
          headers: Reply.header(Reply.completion({ refusal: "No." }))
        })
      ))
      assert.strictEqual(refusal._tag, "Refusal")
      const partials: Array<unknown> = []
      const truncated = yield* failure(Stream.runForEach(
        client.chat.completions.parseStream(ask("x", { max_completion_tokens: 6 }), Person),
        (e) => Effect.sync(() => partials.push(e))
      ))
      assert.strictEqual(truncated._tag, "Truncated")
      assert.isAbove(partials.length, 0)
      assert.strictEqual((truncated as StructuredOutput.Truncated).finishReason, "length")
    }).pipe(Effect.provide(clientOnMock())))
})
