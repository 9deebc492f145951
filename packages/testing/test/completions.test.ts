import { assert, describe, it } from "@effect/vitest"
import { ChatCompletion, ChatCompletionChunk, Embeddings, Models } from "@nexos-effect/schema"
import { MockGateway, Reply } from "@nexos-effect/testing"
import { Effect, Schema } from "effect"
import { bounded, chat, chunksOf, get, json, parseSse, post, text, user } from "./helpers.js"

const decodeCompletion = Schema.decodeUnknown(ChatCompletion.ChatCompletion)
const decodeChunk = Schema.decodeUnknown(ChatCompletionChunk.ChatCompletionChunk)

describe("chat completions", () => {
  it.scopedLive("a JSON completion decodes with the ChatCompletion schema and carries the nexos headers", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, { model: "GPT 4.1 mini", messages: user("What is nexos?") })
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("content-type"), "application/json")
      assert.match(response.headers.get("x-request-id") ?? "", /^req_mock_\d+$/)
      assert.match(response.headers.get("x-nexos-model-id") ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4/)
      assert.match(response.headers.get("x-nexos-completion-time-ms") ?? "", /^\d+$/)
      assert.strictEqual(response.headers.get("x-nexos-cache"), "miss")
      const completion = yield* decodeCompletion(yield* json(response))
      assert.strictEqual(completion.object, "chat.completion")
      assert.strictEqual(completion.model, "GPT 4.1 mini")
      assert.strictEqual(completion.choices.length, 1)
      assert.strictEqual(completion.choices[0].finish_reason, "stop")
      assert.strictEqual(ChatCompletion.text(completion), "Hello from the nexos mock gateway. You said: What is nexos?")
      const usage = completion.usage!
      assert.strictEqual(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens)
      assert.isAbove(usage.completion_tokens, 0)
      assert.isAbove(usage.nexos_credits_cost!, 0)
      assert.strictEqual(usage.prompt_tokens_details?.cached_tokens, 0)
      assert.strictEqual(usage.completion_tokens_details?.reasoning_tokens, 0)
    })))

  it.scopedLive("a repeated request is a cache hit with cached prompt tokens", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const body = { model: "m", messages: user("same") }
      yield* Effect.flatMap(chat(gateway, body), text)
      const second = yield* chat(gateway, body)
      assert.strictEqual(second.headers.get("x-nexos-cache"), "hit")
      const completion = yield* decodeCompletion(yield* json(second))
      assert.strictEqual(completion.usage?.prompt_tokens_details?.cached_tokens, completion.usage?.prompt_tokens)
    })))

  it.scopedLive("a stream decodes chunk by chunk, ends with the include_usage chunk and [DONE]", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, {
        model: "m",
        messages: user("stream please"),
        stream: true,
        stream_options: { include_usage: true }
      })
      assert.strictEqual(response.status, 200)
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/)
      const events = parseSse(yield* text(response))
      assert.strictEqual(events[events.length - 1].data, "[DONE]")
      const chunks = yield* Effect.forEach(chunksOf(events), (c) => decodeChunk(c))
      const last = chunks[chunks.length - 1]
      assert.deepStrictEqual(last.choices, [])
      assert.isDefined(last.usage)
      assert.isAbove(last.usage!.nexos_credits_cost!, 0)
      for (const chunk of chunks.slice(0, -1)) {
        assert.strictEqual(chunk.object, "chat.completion.chunk")
        assert.isUndefined(chunk.usage)
        assert.strictEqual(chunk.id, last.id)
      }
      const deltas = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content)).filter((c) =>
        c !== undefined
      )
      assert.isAbove(deltas.length, 5)
      assert.isTrue(deltas.slice(1).every((d) => typeof d === "string" && d.length <= 9))
      assert.strictEqual(deltas.join(""), "Hello from the nexos mock gateway. You said: stream please")
      const finishes = chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter((f) => f)
      assert.deepStrictEqual(finishes, ["stop"])
      assert.strictEqual(last.usage!.completion_tokens, deltas.filter((d) => d !== "").length)
    })))

  it.scopedLive("without include_usage no chunk carries usage", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const raw = yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("x"), stream: true }), text)
      const chunks = chunksOf(parseSse(raw))
      assert.isTrue(chunks.every((c) => c.usage === undefined && c.choices.length === 1))
      assert.isTrue(raw.endsWith("data: [DONE]\n\n"))
    })))

  it.scopedLive("n > 1 gives n choices, interleaved when streaming", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const completion = yield* decodeCompletion(
        yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("hi"), n: 3 }), json)
      )
      assert.deepStrictEqual(completion.choices.map((c) => c.index), [0, 1, 2])
      assert.strictEqual(ChatCompletion.text(completion, 2).startsWith("Choice 2: "), true)
      const raw = yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("hi"), n: 2, stream: true }), text)
      const indices = chunksOf(parseSse(raw)).map((c) => c.choices[0].index)
      assert.deepStrictEqual(indices.slice(0, 4), [0, 1, 0, 1])
      const texts = [0, 1].map((i) =>
        chunksOf(parseSse(raw)).filter((c) => c.choices[0].index === i).map((c) => c.choices[0].delta.content ?? "")
          .join("")
      )
      assert.deepStrictEqual(texts, [0, 1].map((i) => ChatCompletion.text(completion, i)))
    })))

  it.scopedLive("reasoning_effort or thinking adds reasoning_content before the answer, counted in usage", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const completion = yield* decodeCompletion(
        yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("think"), reasoning_effort: "high" }), json)
      )
      assert.include(ChatCompletion.reasoning(completion), "Effort high")
      assert.isAbove(completion.usage!.completion_tokens_details!.reasoning_tokens!, 0)
      const raw = yield* Effect.flatMap(
        chat(gateway, {
          model: "m",
          messages: user("think"),
          thinking: { type: "enabled", budget_tokens: 2048 },
          stream: true,
          stream_options: { include_usage: true }
        }),
        text
      )
      const chunks = chunksOf(parseSse(raw))
      const firstReasoning = chunks.findIndex((c) => c.choices[0]?.delta.reasoning_content !== undefined)
      const firstContent = chunks.findIndex((c) => (c.choices[0]?.delta.content ?? "") !== "")
      assert.isAtLeast(firstReasoning, 1)
      assert.isAbove(firstContent, firstReasoning)
      const reasoning = chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join("")
      assert.include(reasoning, "The user asks")
      const usage = chunks[chunks.length - 1].usage
      const reasoningDeltas = chunks.filter((c) => c.choices[0]?.delta.reasoning_content !== undefined).length
      assert.strictEqual(usage.completion_tokens_details.reasoning_tokens, reasoningDeltas)
      assert.isAbove(reasoningDeltas, 10)
    })))

  it.scopedLive("max_completion_tokens truncates the answer with finish_reason length", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const completion = yield* decodeCompletion(
        yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("long"), max_completion_tokens: 3 }), json)
      )
      assert.strictEqual(completion.choices[0].finish_reason, "length")
      assert.strictEqual(ChatCompletion.text(completion), "Hello from the")
      assert.strictEqual(completion.usage!.completion_tokens, 3)
    })))

  it.scopedLive("response_format json_schema yields content that fits the schema", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const completion = yield* decodeCompletion(
        yield* Effect.flatMap(
          chat(gateway, {
            model: "m",
            messages: user("structured"),
            response_format: {
              type: "json_schema",
              json_schema: {
                name: "person",
                schema: {
                  type: "object",
                  properties: { name: { type: "string" }, age: { type: "integer", minimum: 18 } },
                  required: ["name", "age"]
                }
              }
            }
          }),
          json
        )
      )
      assert.deepStrictEqual(JSON.parse(ChatCompletion.text(completion)), { name: "mock", age: 18 })
    })))

  it.scopedLive("a recursive json_schema gets a bounded answer: nested arrays end, nullable values turn null deep down", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const schema = {
        type: "object",
        properties: {
          label: { type: "string" },
          next: { anyOf: [{ $ref: "#" }, { type: "null" }] },
          children: { type: "array", items: { $ref: "#" } }
        },
        required: ["label", "next", "children"],
        additionalProperties: false
      }
      const body = yield* Effect.flatMap(
        chat(gateway, {
          model: "m",
          messages: user("tree"),
          response_format: { type: "json_schema", json_schema: { name: "tree", schema, strict: true } }
        }),
        json
      )
      const depth = (node: any): number =>
        node === null ? 0 : 1 + Math.max(depth(node.next), ...node.children.map(depth), 0)
      const tree = JSON.parse(body.choices[0].message.content)
      assert.strictEqual(tree.label, "mock")
      assert.isAbove(depth(tree), 2)
      assert.isBelow(depth(tree), 6)
    })))

  it.scopedLive("json_object answers follow the JSON Schema given in the last system instruction, else { answer }", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const schema = {
        type: "object",
        properties: { city: { type: "string" }, rank: { type: "integer", minimum: 1 } },
        required: ["city", "rank"]
      }
      const instructed = yield* Effect.flatMap(
        chat(gateway, {
          model: "m",
          messages: [
            ...user("Where?"),
            {
              role: "system",
              content: `Please provide a response in the following JSON format:\n${JSON.stringify(schema, null, 2)}`
            }
          ],
          response_format: { type: "json_object" }
        }),
        json
      )
      assert.deepStrictEqual(JSON.parse(instructed.choices[0].message.content), { city: "mock", rank: 1 })
      const plain = yield* Effect.flatMap(
        chat(gateway, { model: "m", messages: user("Where?"), response_format: { type: "json_object" } }),
        json
      )
      assert.deepStrictEqual(Object.keys(JSON.parse(plain.choices[0].message.content)), ["answer"])
    })))

  it.scopedLive("logprobs are returned per content token", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const body = yield* Effect.flatMap(
        chat(gateway, { model: "m", messages: user("p"), logprobs: true, top_logprobs: 2 }),
        json
      )
      const content = body.choices[0].logprobs.content
      assert.strictEqual(content.map((t: any) => t.token).join(""), body.choices[0].message.content)
      assert.strictEqual(content[0].top_logprobs.length, 2)
    })))

  it.scopedLive("a 20k-chunk stream arrives quickly and whole", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const started = Date.now()
      const raw = yield* Effect.flatMap(
        chat(gateway, { model: "m", messages: user("big"), stream: true, stream_options: { include_usage: true } }, {
          ...Reply.header(Reply.tokens(20_000))
        }),
        text
      )
      const elapsed = Date.now() - started
      const chunks = chunksOf(parseSse(raw))
      assert.strictEqual(chunks.length, 20_003)
      assert.strictEqual(chunks[chunks.length - 1].usage.completion_tokens, 20_000)
      assert.isBelow(elapsed, 5_000)
    })))
})

describe("models and embeddings", () => {
  it.scopedLive("GET /v1/models lists models that decode with the Models schema", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ models: ["GPT A", "Claude B"] })
      const list = yield* Schema.decodeUnknown(Models.ModelList)(yield* Effect.flatMap(get(gateway, "/models"), json))
      assert.deepStrictEqual(list.data.map((m) => m.name), ["GPT A", "Claude B"])
      assert.strictEqual(list.total, 2)
      assert.match(list.data[0].nexos_model_id ?? "", /^[0-9a-f-]{36}$/)
    })))

  it.scopedLive("rejectUnknownModels answers 404 Model not found with code 100110", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ models: ["GPT A"], rejectUnknownModels: true })
      const ok = yield* chat(gateway, { model: "GPT A", messages: user("x") })
      assert.strictEqual(ok.status, 200)
      const missing = yield* chat(gateway, { model: "GPT Z", messages: user("x") })
      assert.strictEqual(missing.status, 404)
      assert.deepStrictEqual(yield* json(missing), { error: { code: 100110, message: "Model not found" } })
    })))

  it.scopedLive("POST /v1/embeddings returns deterministic unit vectors of the requested size", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const body = yield* Effect.flatMap(
        post(gateway, "/embeddings", { model: "text-embedding-3-small", input: ["a", "b"], dimensions: 8 }),
        json
      )
      const decoded = yield* Schema.decodeUnknown(Embeddings.EmbeddingsResponse)(body)
      assert.strictEqual(decoded.data.length, 2)
      const v = decoded.data[0].embedding as ReadonlyArray<number>
      assert.strictEqual(v.length, 8)
      assert.closeTo(Math.hypot(...v), 1, 1e-4)
      const again = yield* Effect.flatMap(
        post(gateway, "/embeddings", { model: "text-embedding-3-small", input: "a", dimensions: 8 }),
        json
      )
      assert.deepStrictEqual(again.data[0].embedding, v)
      const base64 = yield* Effect.flatMap(
        post(gateway, "/embeddings", { model: "e", input: "a", dimensions: 8, encoding_format: "base64" }),
        json
      )
      assert.strictEqual(Buffer.from(base64.data[0].embedding, "base64").length, 32)
    })))

  it.layer(MockGateway.layer({ answer: "Shared gateway answer." }))("a gateway shared by it.layer", (it) => {
    it.effect("serves the configured answer", () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        const body = yield* Effect.flatMap(chat(gateway, { model: "m", messages: user("x") }), json)
        assert.strictEqual(body.choices[0].message.content, "Shared gateway answer.")
      }))
  })
})
