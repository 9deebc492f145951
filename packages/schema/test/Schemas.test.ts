import { assert, describe, it } from "@effect/vitest"
import * as Annotation from "@nexos-effect/schema/Annotation"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as ContentPart from "@nexos-effect/schema/ContentPart"
import * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as FinishReason from "@nexos-effect/schema/FinishReason"
import * as Logprobs from "@nexos-effect/schema/Logprobs"
import * as Models from "@nexos-effect/schema/Models"
import * as ToolCall from "@nexos-effect/schema/ToolCall"
import * as Usage from "@nexos-effect/schema/Usage"
import { Either, JSONSchema, Schema, SchemaAST } from "effect"

const decodeChunk = Schema.decodeUnknownSync(ChatCompletionChunk.ChatCompletionChunk)
const encodeChunk = Schema.encodeSync(ChatCompletionChunk.ChatCompletionChunk)

describe("ChatCompletionChunk decodes what real gateways send", () => {
  it("a chunk without object, with empty id and model and created 0", () => {
    const chunk = decodeChunk({ id: "", model: "", created: 0, choices: [{ index: 0, delta: { content: "a" } }] })
    assert.strictEqual(chunk.object, "chat.completion.chunk")
    assert.strictEqual(chunk.id, "")
    assert.strictEqual(chunk.model, "")
    assert.strictEqual(chunk.created, 0)
    assert.strictEqual(chunk.choices[0]!.delta.content, "a")
  })

  it("object may be empty or another string, and is kept as sent", () => {
    assert.strictEqual(decodeChunk({ object: "", choices: [] }).object, "")
    assert.strictEqual(decodeChunk({ object: "chat.completion.done" }).object, "chat.completion.done")
    assert.strictEqual(decodeChunk({ object: null }).object, "chat.completion.chunk")
  })

  it("choices missing, null or empty give no choices", () => {
    for (const input of [{}, { choices: null }, { choices: [] }]) {
      assert.deepStrictEqual(decodeChunk(input), {
        id: "",
        object: "chat.completion.chunk",
        created: 0,
        model: "",
        choices: []
      })
    }
  })

  it("a choice with null index, delta and finish_reason", () => {
    const chunk = decodeChunk({ choices: [{ index: null, delta: null, finish_reason: null, logprobs: null }] })
    assert.deepStrictEqual(chunk.choices, [{ index: 0, delta: {} }])
  })

  it("tool-call deltas without index or type, with repeated empty ids", () => {
    const chunk = decodeChunk({
      choices: [{
        index: 0,
        delta: {
          tool_calls: [
            { id: "call_1", function: { name: "get_weather", arguments: "" } },
            { index: 3, id: "", type: null, function: { arguments: "{\"a\"" } },
            { function: null }
          ]
        }
      }]
    })
    assert.deepStrictEqual(chunk.choices[0]!.delta.tool_calls, [
      { id: "call_1", function: { name: "get_weather", arguments: "" } },
      { index: 3, id: "", function: { arguments: "{\"a\"" } },
      {}
    ])
  })

  it("content as an array of parts (text and thinking)", () => {
    const chunk = decodeChunk({
      choices: [{
        delta: {
          content: [
            { type: "thinking", thinking: [{ type: "text", text: "Let me think. " }] },
            { type: "text", text: "2 + 2" },
            { type: "text", text: " = 4" },
            { type: "image", url: "https://x" }
          ]
        }
      }]
    })
    const content = chunk.choices[0]!.delta.content
    assert.isTrue(Array.isArray(content))
    assert.strictEqual(ContentPart.text(content), "2 + 2 = 4")
    assert.strictEqual(ContentPart.reasoning(content), "Let me think. ")
    assert.deepStrictEqual((content as ReadonlyArray<ContentPart.ContentPart>)[3], {
      type: "image",
      url: "https://x"
    } as ContentPart.ContentPart)
  })

  it("usage null is no usage; usage with null details keeps the counts", () => {
    assert.isUndefined(decodeChunk({ usage: null }).usage)
    const chunk = decodeChunk({
      choices: [],
      usage: {
        prompt_tokens: 5,
        completion_tokens: 7,
        total_tokens: 12,
        completion_tokens_details: null,
        prompt_tokens_details: null,
        nexos_credits_cost: 0.0042
      }
    })
    assert.deepStrictEqual(chunk.usage, {
      prompt_tokens: 5,
      completion_tokens: 7,
      total_tokens: 12,
      nexos_credits_cost: 0.0042
    })
  })

  it("a finish_reason outside the enum is kept raw", () => {
    const chunk = decodeChunk({ choices: [{ index: 0, delta: {}, finish_reason: "end_turn" }] })
    assert.strictEqual(chunk.choices[0]!.finish_reason, "end_turn")
    assert.strictEqual(FinishReason.normalize(chunk.choices[0]!.finish_reason!), "stop")
  })

  it("reasoning as reasoning_content or reasoning, refusal and annotations on deltas", () => {
    const chunk = decodeChunk({
      choices: [{
        delta: {
          reasoning_content: "r1",
          reasoning: "r2",
          refusal: "no",
          annotations: [{ type: "url_citation", url_citation: { url: "https://a", title: "A", start_index: 0 } }]
        }
      }]
    })
    const delta = chunk.choices[0]!.delta
    assert.strictEqual(delta.reasoning_content, "r1")
    assert.strictEqual(delta.reasoning, "r2")
    assert.strictEqual(delta.refusal, "no")
    assert.deepStrictEqual(delta.annotations, [
      { type: "url_citation", url_citation: { url: "https://a", title: "A", start_index: 0 } }
    ])
  })

  it("a chunk with only vendor data", () => {
    const chunk = decodeChunk({ id: "x", choices: [], prompt_filter_results: [{ prompt_index: 0 }] })
    assert.deepStrictEqual<unknown>(encodeChunk(chunk), {
      id: "x",
      object: "chat.completion.chunk",
      created: 0,
      model: "",
      choices: [],
      prompt_filter_results: [{ prompt_index: 0 }]
    })
  })

  it("keeps unknown fields at every level through decode and encode", () => {
    const wire = {
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      x_top: { nested: [1, { deep: true }] },
      choices: [{
        index: 0,
        x_choice: "c",
        finish_reason: null,
        delta: {
          role: "assistant",
          x_delta: 1,
          content: [{ type: "text", text: "hi", x_part: { p: 1 } }],
          tool_calls: [{ index: 0, id: "t", type: "function", x_call: 2, function: { name: "f", x_fn: 3 } }],
          annotations: [{ type: "url_citation", x_ann: 4, url_citation: { url: "u", x_cite: 5 } }]
        },
        logprobs: {
          x_lp: 6,
          content: [{ token: "a", logprob: -1, x_tok: 7, top_logprobs: [{ token: "a", logprob: -1, x_top: 8 }] }]
        }
      }],
      usage: {
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        x_usage: 9,
        prompt_tokens_details: { cached_tokens: 0, x_ptd: 10 },
        completion_tokens_details: { reasoning_tokens: 0, x_ctd: 11 }
      }
    }
    const decoded = decodeChunk(wire)
    const choice = decoded.choices[0]! as any
    assert.deepStrictEqual((decoded as any).x_top, { nested: [1, { deep: true }] })
    assert.strictEqual(choice.x_choice, "c")
    assert.strictEqual(choice.delta.x_delta, 1)
    assert.deepStrictEqual(choice.delta.content[0].x_part, { p: 1 })
    assert.strictEqual(choice.delta.tool_calls[0].x_call, 2)
    assert.strictEqual(choice.delta.tool_calls[0].function.x_fn, 3)
    assert.strictEqual(choice.delta.annotations[0].x_ann, 4)
    assert.strictEqual(choice.delta.annotations[0].url_citation.x_cite, 5)
    assert.strictEqual(choice.logprobs.x_lp, 6)
    assert.strictEqual(choice.logprobs.content[0].x_tok, 7)
    assert.strictEqual(choice.logprobs.content[0].top_logprobs[0].x_top, 8)
    assert.strictEqual((decoded.usage as any).x_usage, 9)
    assert.strictEqual((decoded.usage!.prompt_tokens_details as any).x_ptd, 10)
    assert.strictEqual((decoded.usage!.completion_tokens_details as any).x_ctd, 11)

    const { finish_reason: _, ...choiceWithoutNull } = wire.choices[0]!
    assert.deepStrictEqual(encodeChunk(decoded), { ...wire, choices: [choiceWithoutNull] })
  })

  it("keeps unknown fields inside a defaulted message of a completion", () => {
    const completion = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)({
      choices: [{ message: { content: "x", x_msg: [null, 1] } }]
    })
    assert.deepStrictEqual<unknown>(Schema.encodeSync(ChatCompletion.ChatCompletion)(completion), {
      id: "",
      object: "chat.completion",
      created: 0,
      model: "",
      choices: [{ index: 0, message: { role: "assistant", content: "x", x_msg: [null, 1] } }]
    })
  })

  it("rejects what is not a chunk at all", () => {
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(ChatCompletionChunk.ChatCompletionChunk)("data")))
    assert.isTrue(
      Either.isLeft(Schema.decodeUnknownEither(ChatCompletionChunk.ChatCompletionChunk)({ choices: [{ index: "0" }] }))
    )
  })
})

// Every lenient wire struct, with the least input it accepts.
const wireStructs: ReadonlyArray<readonly [string, Schema.Schema<any, any>, Record<string, unknown>]> = [
  ["ChatCompletion.MessageAudio", ChatCompletion.MessageAudio, {}],
  ["ChatCompletion.Message", ChatCompletion.Message, {}],
  ["ChatCompletion.Choice", ChatCompletion.Choice, {}],
  ["ChatCompletion.ChatCompletion", ChatCompletion.ChatCompletion, {}],
  ["ChatCompletionChunk.FunctionDelta", ChatCompletionChunk.FunctionDelta, {}],
  ["ChatCompletionChunk.ToolCallDelta", ChatCompletionChunk.ToolCallDelta, {}],
  ["ChatCompletionChunk.Delta", ChatCompletionChunk.Delta, {}],
  ["ChatCompletionChunk.ChunkChoice", ChatCompletionChunk.ChunkChoice, {}],
  ["ChatCompletionChunk.ChatCompletionChunk", ChatCompletionChunk.ChatCompletionChunk, {}],
  ["Annotation.UrlCitation", Annotation.UrlCitation, {}],
  ["Annotation.Annotation", Annotation.Annotation, {}],
  ["ContentPart.ContentPart", ContentPart.ContentPart, { type: "text" }],
  ["ToolCall.FunctionCall", ToolCall.FunctionCall, {}],
  ["ToolCall.ToolCall", ToolCall.ToolCall, { function: {} }],
  ["Logprobs.TopLogprob", Logprobs.TopLogprob, {}],
  ["Logprobs.TokenLogprob", Logprobs.TokenLogprob, {}],
  ["Logprobs.Logprobs", Logprobs.Logprobs, {}],
  ["Usage.CompletionTokensDetails", Usage.CompletionTokensDetails, {}],
  ["Usage.PromptTokensDetails", Usage.PromptTokensDetails, {}],
  ["Usage.Usage", Usage.Usage, {}],
  ["Models.Pricing", Models.Pricing, {}],
  ["Models.UserModel", Models.UserModel, { id: "m" }],
  ["Models.ModelList", Models.ModelList, { data: [] }],
  ["Embeddings.Embedding", Embeddings.Embedding, { embedding: [] }],
  ["Embeddings.EmbeddingsResponse", Embeddings.EmbeddingsResponse, { data: [] }]
]

const optionalWireFields = (schema: Schema.Schema<any, any>): ReadonlyArray<string> => {
  const encoded = SchemaAST.encodedAST(schema.ast)
  assert.strictEqual(encoded._tag, "TypeLiteral")
  return (encoded as SchemaAST.TypeLiteral).propertySignatures.filter((ps) => ps.isOptional).map((ps) =>
    String(ps.name)
  )
}

describe("every lenient wire struct", () => {
  for (const [name, schema, minimal] of wireStructs) {
    describe(name, () => {
      const decode = Schema.decodeUnknownSync(schema)
      const encode = Schema.encodeSync(schema)

      it("reads null as absent for every optional field", () => {
        const fields = optionalWireFields(schema)
        assert.isAbove(fields.length, 0)
        const absent = decode(minimal)
        for (const field of fields) {
          assert.deepStrictEqual(decode({ ...minimal, [field]: null }), absent, `${name}.${field}: null`)
        }
        // and with all of them null at once
        assert.deepStrictEqual(decode({ ...minimal, ...Object.fromEntries(fields.map((f) => [f, null])) }), absent)
      })

      it("keeps unknown fields through decode and encode", () => {
        const vendor = { x_vendor: { list: [1, "two", null], flag: false } }
        const decoded = decode({ ...minimal, ...vendor })
        assert.deepStrictEqual(decoded.x_vendor, vendor.x_vendor)
        assert.deepStrictEqual(encode(decoded).x_vendor, vendor.x_vendor)
      })
    })
  }
})

describe("Usage", () => {
  it("null details decode as absent, counts and cost as sent", () => {
    const usage = Schema.decodeUnknownSync(Usage.Usage)({
      prompt_tokens: 10,
      completion_tokens: 20,
      total_tokens: 31,
      nexos_credits_cost: 0.5,
      completion_tokens_details: null,
      prompt_tokens_details: null
    })
    assert.deepStrictEqual(usage, {
      prompt_tokens: 10,
      completion_tokens: 20,
      total_tokens: 31,
      nexos_credits_cost: 0.5
    })
  })

  it("details with nulls inside and missing counts", () => {
    const usage = Schema.decodeUnknownSync(Usage.Usage)({
      completion_tokens: null,
      prompt_tokens_details: { cached_tokens: 4, audio_tokens: null },
      completion_tokens_details: { reasoning_tokens: 3, accepted_prediction_tokens: null }
    })
    assert.deepStrictEqual(usage, {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 3 }
    })
  })
})

describe("Models", () => {
  it("decodes the model list with pricing strings and unknown fields", () => {
    const wire = {
      object: "list",
      total: 2,
      data: [
        {
          id: "GPT 5.4 mini",
          nexos_model_id: "6f2c1a3e-0000-4000-8000-000000000001",
          object: "model",
          created: 1754000000,
          updated: 1754000100,
          owned_by: "openai",
          name: "GPT 5.4 mini",
          timeout_ms: 60000,
          stream_timeout_ms: 300000,
          max_tokens: 16384,
          context_length: 400000,
          pricing: {
            input_cost_per_token: "0.00000025",
            output_cost_per_token: "0.000002",
            cache_read_cost_per_token: "0.000000025",
            batch_discount: "0.5"
          },
          endpoints: ["chat_completion", "batch"],
          region: "EU",
          capabilities: { vision: true }
        },
        { id: "Claude Haiku 4.5", created: null, region: "US" }
      ]
    }
    const list = Schema.decodeUnknownSync(Models.ModelList)(wire)
    assert.strictEqual(list.object, "list")
    assert.strictEqual(list.total, 2)
    assert.deepStrictEqual(list.data.map((m) => m.id), ["GPT 5.4 mini", "Claude Haiku 4.5"])
    const first = list.data[0]!
    assert.strictEqual(first.nexos_model_id, "6f2c1a3e-0000-4000-8000-000000000001")
    assert.strictEqual(first.pricing?.input_cost_per_token, "0.00000025")
    assert.strictEqual(first.pricing?.cache_read_cost_per_token, "0.000000025")
    assert.strictEqual(first.region, "EU")
    assert.deepStrictEqual(first.endpoints, ["chat_completion", "batch"])
    assert.deepStrictEqual((first as any).capabilities, { vision: true })
    assert.strictEqual((first.pricing as any).batch_discount, "0.5")
    assert.deepStrictEqual(list.data[1], { id: "Claude Haiku 4.5", object: "model", created: 0, region: "US" })
    assert.deepStrictEqual(Schema.encodeSync(Models.ModelList)(list), {
      ...wire,
      data: [wire.data[0], { id: "Claude Haiku 4.5", object: "model", created: 0, region: "US" }]
    })
  })

  it("rejects a pricing number where a decimal string is expected", () => {
    const result = Schema.decodeUnknownEither(Models.ModelList)({
      data: [{ id: "m", pricing: { input_cost_per_token: 1 } }]
    })
    assert.isTrue(Either.isLeft(result))
  })
})

describe("Embeddings", () => {
  const validate = (input: unknown) =>
    Either.mapLeft(
      Schema.decodeUnknownEither(Embeddings.EmbeddingsRequest, { errors: "all" })(input),
      ChatCompletionRequest.issuesOf
    )

  it("a valid request encodes without unset fields", () => {
    const request = { model: "text-embedding-3-small", input: ["a", "b"] } as const
    assert.deepStrictEqual(validate(request), Either.right(request))
    assert.deepStrictEqual(Schema.encodeSync(Embeddings.EmbeddingsRequest)(request), request)
    const full = { model: "m", input: [[1, 2], [3]], encoding_format: "base64", dimensions: 256 } as const
    assert.deepStrictEqual(validate(full), Either.right(full))
  })

  it("rejects an empty model and dimensions 0, naming the fields", () => {
    assert.deepStrictEqual(
      validate({ model: "", input: "x", dimensions: 0 }),
      Either.left([
        { path: "model", message: "must not be empty" },
        { path: "dimensions", message: "must be an integer >= 1, got 0" }
      ])
    )
  })

  it("rejects dimensions 1.5, an unknown encoding and an unknown field", () => {
    const result = validate({ model: "m", input: "x", dimensions: 1.5, encoding_format: "int8", user: "u" })
    assert.deepStrictEqual(
      result,
      Either.left([
        {
          path: "user",
          message: "is unexpected, expected: \"model\" | \"input\" | \"encoding_format\" | \"dimensions\""
        },
        { path: "encoding_format", message: "Expected \"float\" | \"base64\", actual \"int8\"" },
        { path: "dimensions", message: "must be an integer >= 1, got 1.5" }
      ])
    )
  })

  it("decodes a response with float and base64 embeddings", () => {
    const response = Schema.decodeUnknownSync(Embeddings.EmbeddingsResponse)({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [0.1, -0.2, 3e-5] },
        { object: "embedding", index: 1, embedding: "AAAAAA==" }
      ],
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 4, total_tokens: 4, nexos_credits_cost: 0.00001 }
    })
    assert.deepStrictEqual(response, {
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [0.1, -0.2, 3e-5] },
        { object: "embedding", index: 1, embedding: "AAAAAA==" }
      ],
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 4, total_tokens: 4, nexos_credits_cost: 0.00001 }
    })
  })
})

describe("FinishReason.normalize", () => {
  const cases: ReadonlyArray<readonly [string, FinishReason.FinishReason]> = [
    ["stop", "stop"],
    ["length", "length"],
    ["tool_calls", "tool_calls"],
    ["content_filter", "content_filter"],
    ["function_call", "function_call"],
    ["end_turn", "stop"],
    ["eos", "stop"],
    ["stop_sequence", "stop"],
    ["STOP", "stop"],
    ["max_tokens", "length"],
    ["MAX_TOKENS", "length"],
    ["tool_use", "tool_calls"],
    ["SAFETY", "content_filter"],
    ["", "unknown"],
    ["something_new", "unknown"]
  ]
  for (const [raw, reason] of cases) {
    it(`${JSON.stringify(raw)} -> ${reason}`, () => assert.strictEqual(FinishReason.normalize(raw), reason))
  }
})

describe("accessors", () => {
  const completion = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)({
    choices: [
      {
        index: 0,
        message: {
          content: [{ type: "thinking", thinking: [{ type: "text", text: "hmm" }] }, { type: "text", text: "4" }],
          tool_calls: [{ id: "a", function: { name: "f", arguments: "{}" } }]
        }
      },
      { index: 1, message: { content: "five", reasoning_content: "rc", tool_calls: [{ function: { name: "g" } }] } }
    ]
  })

  it("text and reasoning per choice", () => {
    assert.strictEqual(ChatCompletion.text(completion), "4")
    assert.strictEqual(ChatCompletion.reasoning(completion), "hmm")
    assert.strictEqual(ChatCompletion.text(completion, 1), "five")
    assert.strictEqual(ChatCompletion.reasoning(completion, 1), "rc")
    assert.strictEqual(ChatCompletion.text(completion, 7), "")
  })

  it("toolCalls flattens the choices in order, with defaults for missing id and type", () => {
    assert.deepStrictEqual(ChatCompletion.toolCalls(completion), [
      { id: "a", type: "function", function: { name: "f", arguments: "{}" } },
      { id: "", type: "function", function: { name: "g", arguments: "" } }
    ])
  })

  it("Annotation.key tells citations apart", () => {
    const a = { url_citation: { url: "u", title: "t", start_index: 1, end_index: 2 } }
    assert.strictEqual(Annotation.key(a), Annotation.key({ ...a, type: "url_citation" }))
    assert.notStrictEqual(Annotation.key(a), Annotation.key({ url_citation: { ...a.url_citation, end_index: 3 } }))
    assert.strictEqual(Annotation.key({}), "")
  })
})

describe("wider leniency", () => {
  it("tool-call arguments sent as an object are kept as their JSON text; a null function decodes to empty", () => {
    const decoded = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)({
      id: "x",
      choices: [{
        index: 0,
        finish_reason: "tool_calls",
        message: {
          role: "assistant",
          tool_calls: [
            { id: "a", type: "function", function: { name: "f", arguments: { city: "Paris", n: 2 } } },
            { id: "b", type: "function", function: null }
          ]
        }
      }]
    })
    const calls = ChatCompletion.toolCalls(decoded)
    assert.strictEqual(calls[0]!.function.arguments, "{\"city\":\"Paris\",\"n\":2}")
    assert.deepStrictEqual(calls[1]!.function, { name: "", arguments: "" })
  })

  it("a request field set to undefined counts as unset", () => {
    const result = ChatCompletionRequest.validate({
      model: "m",
      messages: [{ role: "user", content: "x", name: undefined }],
      temperature: undefined
    })
    assert.isTrue(Either.isRight(result))
    const encoded = ChatCompletionRequest.encode({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      temperature: undefined
    } as unknown as ChatCompletionRequest.ChatCompletionRequest)
    assert.deepStrictEqual(Either.getOrThrow(encoded), { model: "m", messages: [{ role: "user", content: "x" }] })
  })
})

describe("function tool parameters", () => {
  it("accept the output of Effect's JSONSchema.make as they are, and reject an array", () => {
    const parameters = JSONSchema.make(Schema.Struct({ city: Schema.String }))
    const tool: ChatCompletionRequest.Tool = { type: "function", function: { name: "get_weather", parameters } }
    const ok = ChatCompletionRequest.validate({ model: "m", messages: [{ role: "user", content: "x" }], tools: [tool] })
    assert.isTrue(Either.isRight(ok))
    const bad = ChatCompletionRequest.validate({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [{ type: "function", function: { name: "f", parameters: [] } }]
    })
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) assert.strictEqual(bad.left[0]!.path, "tools[0].function.parameters")
  })
})
