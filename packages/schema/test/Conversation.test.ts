import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Either, Encoding, Schema } from "effect"

const R = ChatCompletionRequest

const issues = (input: unknown): ReadonlyArray<ChatCompletionRequest.Issue> => {
  const result = R.validate(input)
  if (Either.isRight(result)) return assert.fail(`expected ${JSON.stringify(input)} to be rejected`)
  return result.left
}

/** The request fails with exactly the issues at `paths`; the first one's message contains every `words`. */
const rejects = (input: unknown, paths: ReadonlyArray<string>, ...words: ReadonlyArray<string>) => {
  const found = issues(input)
  assert.deepStrictEqual(found.map((i) => i.path), paths, JSON.stringify(found))
  for (const word of words) assert.include(found[0]!.message, word)
}

const accepts = (input: unknown) => {
  const result = R.validate(input)
  if (Either.isLeft(result)) assert.fail(R.formatIssues(result.left))
}

const decodeCompletion = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16])
const gif = new TextEncoder().encode("GIF89a\u0001\u0000")
const webp = new Uint8Array([...new TextEncoder().encode("RIFF"), 4, 0, 0, 0, ...new TextEncoder().encode("WEBPVP8 ")])
const pdf = new TextEncoder().encode("%PDF-1.7")

// A response as a gateway returns it: role, content, tool calls, citations, reasoning and vendor fields.
const completion = decodeCompletion({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "GPT 5.4 mini",
  choices: [{
    index: 0,
    finish_reason: "tool_calls",
    message: {
      role: "assistant",
      content: "Let me look that up.",
      reasoning_content: "The user wants a rate.",
      annotations: [{ type: "url_citation", url_citation: { url: "https://nbp.pl", title: "NBP" } }],
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "get_rate", arguments: "{\"pair\":\"EURPLN\"}" } },
        { id: "call_2", type: "function", function: { name: "get_rate", arguments: { pair: "USDPLN" } } }
      ],
      provider_specific: { cached: true }
    }
  }]
})

describe("message constructors", () => {
  it("system, developer and user text", () => {
    assert.deepStrictEqual(R.system("Be brief."), { role: "system", content: "Be brief." })
    assert.deepStrictEqual(R.system(["Be brief.", R.text("Use SI units.")], { name: "rules" }), {
      role: "system",
      content: [{ type: "text", text: "Be brief." }, { type: "text", text: "Use SI units." }],
      name: "rules"
    })
    assert.deepStrictEqual(R.developer("Use tools."), { role: "developer", content: "Use tools." })
    assert.deepStrictEqual(R.user("hi", { name: "ana" }), { role: "user", content: "hi", name: "ana" })
  })

  it("user with text and image parts; bytes become a data URL with the sniffed media type", () => {
    const message = R.user(["What is this?", R.image(png), R.image("https://example.com/a.jpg", { detail: "low" })])
    assert.deepStrictEqual(message, {
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${Encoding.encodeBase64(png)}` } },
        { type: "image_url", image_url: { url: "https://example.com/a.jpg", detail: "low" } }
      ]
    })
    assert.deepStrictEqual(R.user(R.image(jpeg)).content, [R.image(jpeg)])
    accepts({ model: "m", messages: [message] })
  })

  for (
    const [name, bytes, mediaType] of [
      ["PNG", png, "image/png"],
      ["JPEG", jpeg, "image/jpeg"],
      ["GIF", gif, "image/gif"],
      ["WebP", webp, "image/webp"]
    ] as const
  ) {
    it(`sniffs ${name}`, () => {
      assert.strictEqual(R.image(bytes).image_url.url, `data:${mediaType};base64,${Encoding.encodeBase64(bytes)}`)
      assert.strictEqual(R.image(bytes.buffer.slice(0) as ArrayBuffer).image_url.url, R.image(bytes).image_url.url)
    })
  }

  it("takes the media type when given, and validation rejects bytes that are no known image", () => {
    const heic = new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63])
    assert.strictEqual(
      R.image(heic, { mediaType: "image/heic" }).image_url.url,
      `data:image/heic;base64,${Encoding.encodeBase64(heic)}`
    )
    assert.strictEqual(
      R.image(png, { mediaType: "image/x-custom" }).image_url.url.slice(0, 24),
      "data:image/x-custom;base"
    )
    rejects(
      { model: "m", messages: [R.user(["Read this", R.image(pdf)])] },
      ["messages[0].content[1].image_url.url"],
      "data URL of an image",
      "application/octet-stream",
      "mediaType"
    )
    rejects({ model: "m", messages: [R.user(R.image("data:image/png;base64,"))] }, [
      "messages[0].content[0].image_url.url"
    ], "without data")
    rejects({ model: "m", messages: [R.user(R.image("data:text/plain,hello"))] }, [
      "messages[0].content[0].image_url.url"
    ], "text/plain")
  })

  it("audio from bytes or base64", () => {
    const wav = new TextEncoder().encode("RIFF\u0000\u0000\u0000\u0000WAVE")
    assert.deepStrictEqual(R.audio(wav, "wav"), {
      type: "input_audio",
      input_audio: { data: Encoding.encodeBase64(wav), format: "wav" }
    })
    assert.deepStrictEqual(R.audio("SUQz", "mp3").input_audio, { data: "SUQz", format: "mp3" })
  })

  it("assistant text, or tool calls in the wire shape or the flat shape of a streamed ToolCall event", () => {
    assert.deepStrictEqual(R.assistant("Hello."), { role: "assistant", content: "Hello." })
    const event = { _tag: "ToolCall", choice: 0, index: 0, id: "call_9", name: "f", arguments: "{}" } as const
    assert.deepStrictEqual(R.assistant({ tool_calls: [event, completion.choices[0]!.message.tool_calls![1]!] }), {
      role: "assistant",
      tool_calls: [
        { id: "call_9", type: "function", function: { name: "f", arguments: "{}" } },
        { id: "call_2", type: "function", function: { name: "get_rate", arguments: "{\"pair\":\"USDPLN\"}" } }
      ]
    })
    assert.deepStrictEqual(R.assistant({ content: null, refusal: "No." }), {
      role: "assistant",
      content: null,
      refusal: "No."
    })
  })

  it("toolResult: a string as it is, anything else as JSON text, never a crash", () => {
    assert.deepStrictEqual(R.toolResult({ id: "call_1" }, "12:00"), {
      role: "tool",
      tool_call_id: "call_1",
      content: "12:00"
    })
    assert.strictEqual(R.toolResult("call_1", { rate: 4.3, ok: true }).content, "{\"rate\":4.3,\"ok\":true}")
    assert.strictEqual(R.toolResult("c", undefined).content, "null")
    assert.strictEqual(R.toolResult("c", 12n).content, "\"12\"")
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic["self"] = cyclic
    const shared = { x: 1 }
    assert.strictEqual(R.toolResult("c", cyclic).content, "{\"a\":1,\"self\":\"[Circular]\"}")
    assert.strictEqual(R.toolResult("c", [shared, shared]).content, "[{\"x\":1},{\"x\":1}]")
    const throwing = {
      toJSON() {
        throw new Error("no")
      },
      toString: () => "throwing"
    }
    assert.strictEqual(R.toolResult("c", throwing).content, "throwing")
  })
})

describe("fromResponse", () => {
  it("keeps what the API accepts back and drops the rest", () => {
    assert.deepStrictEqual(R.fromResponse(completion), {
      role: "assistant",
      content: "Let me look that up.",
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "get_rate", arguments: "{\"pair\":\"EURPLN\"}" } },
        { id: "call_2", type: "function", function: { name: "get_rate", arguments: "{\"pair\":\"USDPLN\"}" } }
      ]
    })
    assert.deepStrictEqual(R.fromResponse(completion.choices[0]!.message), R.fromResponse(completion))
  })

  it("content parts: text and refusal parts kept, thinking parts dropped; empty content next to tool calls dropped", () => {
    const message = decodeCompletion({
      choices: [{
        message: {
          role: "assistant",
          content: [{ type: "thinking", thinking: [{ type: "text", text: "hm" }] }, { type: "text", text: "Hi" }]
        }
      }]
    }).choices[0]!.message
    assert.deepStrictEqual(R.fromResponse(message), { role: "assistant", content: [{ type: "text", text: "Hi" }] })
    const onlyCalls = decodeCompletion({
      choices: [{ message: { content: "", tool_calls: [{ id: "c", function: { name: "f", arguments: "" } }] } }]
    })
    assert.deepStrictEqual(R.fromResponse(onlyCalls), {
      role: "assistant",
      tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "" } }]
    })
    assert.deepStrictEqual(R.fromResponse(decodeCompletion({ choices: [{ message: { content: "" } }] })), {
      role: "assistant",
      content: ""
    })
  })

  it("refusal, audio id, function_call and a choice by index", () => {
    const response = decodeCompletion({
      choices: [
        { index: 0, message: { content: null, refusal: "I can't." } },
        {
          index: 1,
          message: {
            content: null,
            audio: { id: "audio_1", data: "UklGRg==", transcript: "hi", expires_at: 9 },
            function_call: { name: "f", arguments: "{}" }
          }
        }
      ]
    })
    assert.deepStrictEqual(R.fromResponse(response), { role: "assistant", refusal: "I can't." })
    assert.deepStrictEqual(R.fromResponse(response, 1), {
      role: "assistant",
      function_call: { name: "f", arguments: "{}" },
      audio: { id: "audio_1" }
    })
    accepts({ model: "m", messages: [R.user("hi"), R.fromResponse(response), R.user("why?")] })
    accepts({ model: "m", messages: [R.user("hi"), { role: "assistant", audio: { id: "audio_1" } }, R.user("more")] })
  })

  it("a choice that is not there gives an empty assistant message that validation rejects", () => {
    const empty = R.fromResponse(decodeCompletion({ choices: [] }))
    assert.deepStrictEqual(empty, { role: "assistant" })
    rejects({ model: "m", messages: [R.user("hi"), empty] }, ["messages[1].content"], "needs content")
  })
})

describe("a multi-turn conversation", () => {
  it("type-checks and validates, where the raw response message is rejected", () => {
    const calls = ChatCompletion.toolCalls(completion)
    const messages: ReadonlyArray<ChatCompletionRequest.Message> = [
      R.system("You look up exchange rates."),
      R.user("EUR and USD to PLN?"),
      R.fromResponse(completion),
      ...calls.map((call, i) => R.toolResult(call, { rate: [4.3, 3.9][i] })),
      R.user("And which is higher?")
    ]
    expectTypeOf(R.fromResponse(completion)).toEqualTypeOf<ChatCompletionRequest.AssistantMessage>()
    const answer: ChatCompletionRequest.ToolMessage = R.toolResult(calls[0]!, 1)
    assert.strictEqual(answer.tool_call_id, "call_1")
    expectTypeOf(R.toolResult(calls[0]!, 1).content).toEqualTypeOf<string>()
    const request = { model: "GPT 5.4 mini", messages, tools: [{ type: "function", function: { name: "get_rate" } }] }
    accepts(request)
    assert.deepStrictEqual(R.encode(request as ChatCompletionRequest.ChatCompletionRequest).pipe(Either.isRight), true)

    // What the conversion fixes: the response message itself is not a request message.
    expectTypeOf(completion.choices[0]!.message.role).toEqualTypeOf<string>()
    const raw = issues({ ...request, messages: [messages[0], messages[1], completion.choices[0]!.message] })
    assert.deepStrictEqual(raw.map((i) => i.path).sort(), [
      "messages[2].annotations",
      "messages[2].provider_specific",
      "messages[2].reasoning_content"
    ])
    assert.include(raw.find((i) => i.path.endsWith("annotations"))!.message, "ChatCompletionRequest.fromResponse")
  })
})

describe("conversation rules", () => {
  const call = (id: string) => ({ id, type: "function", function: { name: "f", arguments: "{}" } }) as const
  const ask = R.user("go")

  it("every tool call is answered by a tool message right after it", () => {
    rejects(
      { model: "m", messages: [ask, R.assistant({ tool_calls: [call("a"), call("b")] }), R.toolResult("a", 1)] },
      ["messages[1].tool_calls[1].id"],
      "\"b\" has no tool message answering it at the end of the conversation"
    )
    rejects(
      {
        model: "m",
        messages: [ask, R.assistant({ tool_calls: [call("a")] }), R.user("well?"), R.toolResult("a", 1)]
      },
      ["messages[1].tool_calls[0].id", "messages[3].tool_call_id"],
      "before messages[2]"
    )
  })

  it("every tool message answers a call of the assistant message before it", () => {
    rejects(
      { model: "m", messages: [ask, R.toolResult("a", 1)] },
      ["messages[1].tool_call_id"],
      "\"a\" answers no tool call"
    )
    rejects(
      {
        model: "m",
        messages: [ask, R.assistant({ tool_calls: [call("a")] }), R.toolResult("a", 1), R.toolResult("z", 2)]
      },
      ["messages[3].tool_call_id"],
      "\"z\" is not a tool call of messages[1] (a)"
    )
    accepts({
      model: "m",
      messages: [ask, R.assistant({ tool_calls: [call("a"), call("b")] }), R.toolResult("b", 2), R.toolResult("a", 1)]
    })
  })
})
