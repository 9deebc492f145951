import { assert, describe, it } from "@effect/vitest"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Either } from "effect"

const user = { role: "user", content: "hi" } as const
const base = { model: "GPT 5.4 mini", messages: [user] } as const

const issues = (input: unknown): ReadonlyArray<ChatCompletionRequest.Issue> => {
  const result = ChatCompletionRequest.validate(input)
  if (Either.isRight(result)) assert.fail(`expected ${JSON.stringify(input)} to be rejected`)
  return result.left
}

/** The request fails with exactly one issue, at `path`, whose message contains every `words`. */
const rejects = (input: unknown, path: string, ...words: ReadonlyArray<string>) => {
  const found = issues(input)
  assert.deepStrictEqual(found.map((i) => i.path), [path], JSON.stringify(found))
  for (const word of words) assert.include(found[0]!.message, word)
}

const webSearch = (mcp: unknown) => ({ ...base, tools: [{ type: "web_search", web_search: { mcp } }] })

describe("ChatCompletionRequest.validate rejects what the API would reject", () => {
  it("empty messages", () => rejects({ model: "m", messages: [] }, "messages", "at least one"))
  it("a missing model", () => rejects({ messages: [user] }, "model", "missing"))
  it("an empty model", () => rejects({ ...base, model: "" }, "model", "empty"))

  for (const n of [0, 129, 1.5]) {
    it(`n = ${n}`, () => rejects({ ...base, n }, "n", "integer from 1 to 128", `got ${n}`))
  }

  for (const top_logprobs of [21, -1]) {
    it(`top_logprobs = ${top_logprobs}`, () =>
      rejects({ ...base, logprobs: true, top_logprobs }, "top_logprobs", "integer from 0 to 20", `${top_logprobs}`))
  }
  it("top_logprobs without logprobs", () => rejects({ ...base, top_logprobs: 3 }, "top_logprobs", "logprobs: true"))
  it("top_logprobs with logprobs: false", () =>
    rejects({ ...base, logprobs: false, top_logprobs: 3 }, "top_logprobs", "logprobs: true"))

  for (const temperature of [-0.1, 2.1]) {
    it(`temperature = ${temperature}`, () =>
      rejects({ ...base, temperature }, "temperature", "from 0 to 2", `${temperature}`))
  }
  it("top_p > 1", () => rejects({ ...base, top_p: 1.01 }, "top_p", "from 0 to 1", "1.01"))
  it("frequency_penalty < -2", () => rejects({ ...base, frequency_penalty: -3 }, "frequency_penalty", "-2 to 2"))

  it("a tool message without tool_call_id", () =>
    rejects(
      { ...base, messages: [user, { role: "tool", content: "42" }] },
      "messages[1].tool_call_id",
      "missing",
      "tool_call_id"
    ))
  it("a tool message with an empty tool_call_id", () =>
    rejects(
      { ...base, messages: [user, { role: "tool", content: "42", tool_call_id: "" }] },
      "messages[1].tool_call_id",
      "empty"
    ))

  it("a query MCP with the universal tool", () =>
    rejects(
      webSearch({ type: "query", options: { tool: "universal", query: "eur pln" } }),
      "tools[0].web_search.mcp.options.tool",
      "query MCP",
      "google_search",
      "\"universal\""
    ))
  it("a url MCP with a search-engine tool", () =>
    rejects(
      webSearch({ type: "url", options: { tool: "google_search", url: "https://example.com" } }),
      "tools[0].web_search.mcp.options.tool",
      "url MCP",
      "universal",
      "\"google_search\""
    ))
  it("a url MCP without url", () =>
    rejects(
      webSearch({ type: "url", options: { tool: "universal" } }),
      "tools[0].web_search.mcp.options.url",
      "missing"
    ))
  it("an MCP of an unknown type", () =>
    rejects(webSearch({ type: "both", options: {} }), "tools[0].web_search.mcp.type", "\"query\"", "\"url\""))

  it("an unknown top-level field", () => rejects({ ...base, temprature: 1 }, "temprature", "unexpected"))
  it("unknown fields at every level", () => {
    rejects({ ...base, messages: [{ ...user, foo: 1 }] }, "messages[0].foo", "unexpected")
    rejects(
      { ...base, messages: [{ role: "user", content: [{ type: "text", text: "x", cache_control: {} }] }] },
      "messages[0].content[0].cache_control",
      "unexpected"
    )
    rejects(
      { ...base, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "u", x: 1 } }] }] },
      "messages[0].content[0].image_url.x",
      "unexpected"
    )
    rejects(
      { ...base, tools: [{ type: "function", function: { name: "f", strictt: true } }] },
      "tools[0].function.strictt"
    )
    rejects({ ...base, tools: [{ type: "web_search", web_search: { size: "low" } }] }, "tools[0].web_search.size")
    rejects(
      webSearch({ type: "query", options: { tool: "bing_search", query: "q", country: "PL" } }),
      "tools[0].web_search.mcp.options.country"
    )
    rejects({ ...base, tools: [{ type: "rag", rag: { mcp: { collection_uuid: "c", k: 1 } } }] }, "tools[0].rag.mcp.k")
    rejects({ ...base, tools: [{ type: "tika_ocr", tika_ocr: { file_id: "f", page: 1 } }] }, "tools[0].tika_ocr.page")
    rejects({ ...base, tool_choice: { type: "function", function: { name: "f" }, x: 1 } }, "tool_choice.x")
    rejects(
      { ...base, response_format: { type: "json_schema", json_schema: { name: "n", schemaa: {} } } },
      "response_format.json_schema.schemaa"
    )
    rejects({ ...base, stream: true, stream_options: { include_usage: true, x: 1 } }, "stream_options.x")
    rejects({ ...base, thinking: { type: "enabled", budget: 1 } }, "thinking.budget")
  })

  it("a function tool with a bad name", () => {
    rejects(
      { ...base, tools: [{ type: "function", function: { name: "get weather" } }] },
      "tools[0].function.name",
      "a-z"
    )
    rejects({ ...base, tools: [{ type: "function", function: { name: "x".repeat(65) } }] }, "tools[0].function.name")
    rejects({ ...base, tools: [{ type: "function", function: { name: "" } }] }, "tools[0].function.name")
  })
  it("a tool of an unknown type", () => rejects({ ...base, tools: [{ type: "code_interpreter" }] }, "tools[0].type"))
  it("tika_ocr without file_id", () =>
    rejects({ ...base, tools: [{ type: "tika_ocr", tika_ocr: {} }] }, "tools[0].tika_ocr.file_id", "missing"))
  it("rag with an empty collection_uuid", () =>
    rejects(
      { ...base, tools: [{ type: "rag", rag: { mcp: { collection_uuid: "" } } }] },
      "tools[0].rag.mcp.collection_uuid"
    ))

  it("stream_options without stream", () => {
    rejects({ ...base, stream_options: { include_usage: true } }, "stream_options", "stream: true")
    rejects({ ...base, stream: false, stream_options: { include_usage: true } }, "stream_options", "stream: true")
  })

  it("an assistant message with neither content nor tool_calls", () => {
    rejects({ ...base, messages: [user, { role: "assistant" }] }, "messages[1].content", "needs content")
    rejects({ ...base, messages: [user, { role: "assistant", content: null }] }, "messages[1].content", "needs content")
    rejects(
      { ...base, messages: [user, { role: "assistant", tool_calls: [] }] },
      "messages[1].content",
      "needs content"
    )
  })

  it("modalities [\"audio\"] without audio", () =>
    rejects({ ...base, modalities: ["audio"] }, "audio", "modalities", "audio"))

  it("a message with an unknown role", () =>
    rejects({ ...base, messages: [{ role: "bot", content: "x" }] }, "messages[0].role", "\"user\""))
  it("empty content parts", () =>
    rejects({ ...base, messages: [{ role: "user", content: [] }] }, "messages[0].content", "at least one"))
  it("more than 4 stop sequences", () => rejects({ ...base, stop: ["a", "b", "c", "d", "e"] }, "stop", "1 to 4"))

  it("one clear issue per value, also for unions", () => {
    rejects({ ...base, messages: ["hi"] }, "messages[0]", "Expected DeveloperMessage | SystemMessage | UserMessage")
    rejects({ ...base, tools: ["web_search"] }, "tools[0]", "Expected FunctionTool | WebSearchTool | RagTool")
    rejects(
      { ...base, messages: [{ role: "user", content: 5 }] },
      "messages[0].content",
      "Expected string | ReadonlyArray<TextPart | ImagePart | AudioPart>, actual 5"
    )
    rejects({ ...base, service_tier: "fast" }, "service_tier", "\"auto\" | \"default\"", "actual \"fast\"")
    rejects("hello", "(request)", "Expected ChatCompletionRequest, actual \"hello\"")
  })

  it("reports every problem at once", () => {
    const found = issues({ model: "", messages: [], n: 0, temperature: 3, extra: true })
    assert.deepStrictEqual(found.map((i) => i.path).sort(), ["extra", "messages", "model", "n", "temperature"])
    assert.include(ChatCompletionRequest.formatIssues(found), "n: must be an integer from 1 to 128, got 0")
  })

  it("encode rejects an invalid request too", () => {
    const result = ChatCompletionRequest.encode({ ...base, n: 0 })
    assert.deepStrictEqual(result, Either.left([{ path: "n", message: "must be an integer from 1 to 128, got 0" }]))
  })
})

describe("ChatCompletionRequest valid requests encode to exactly the JSON sent", () => {
  const roundTrip = (request: ChatCompletionRequest.ChatCompletionRequest, expected: unknown) => {
    const validated = ChatCompletionRequest.validate(request)
    assert.deepStrictEqual<unknown>(validated, Either.right(expected), "validate")
    assert.deepStrictEqual<unknown>(ChatCompletionRequest.encode(request), Either.right(expected), "encode")
    // the encoded value is what goes over the wire: JSON text without unset fields
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify(Either.getOrThrow(ChatCompletionRequest.encode(request)))),
      expected
    )
  }

  it("a plain request sends only model and messages", () => {
    roundTrip(
      { model: "GPT 5.4 mini", messages: [{ role: "user", content: "hi" }] },
      { model: "GPT 5.4 mini", messages: [{ role: "user", content: "hi" }] }
    )
  })

  it("every nexos tool", () => {
    roundTrip(
      {
        model: "GPT 5.4 mini",
        messages: [{ role: "user", content: "EUR to PLN today?" }],
        tools: [
          {
            type: "web_search",
            web_search: {
              search_context_size: "medium",
              user_location: { type: "approximate", city: "Vilnius", country: "LT", timezone: "Europe/Vilnius" },
              mcp: { type: "query", options: { tool: "google_search", query: "EUR PLN rate", parse: false } }
            }
          },
          {
            type: "web_search",
            web_search: {
              mcp: { type: "url", options: { tool: "universal", url: "https://nbp.pl", geo_location: "PL" } }
            }
          },
          { type: "web_search" },
          {
            type: "rag",
            rag: { mcp: { collection_uuid: "c0ffee", query: "rates", threshold: 0.5, top_n: 5, model_uuid: "m1" } }
          },
          { type: "tika_ocr", tika_ocr: { file_id: "file-123" } },
          {
            type: "function",
            function: {
              name: "get_rate",
              description: "Look up a rate",
              parameters: { type: "object", properties: { pair: { type: "string" } }, required: ["pair"] },
              strict: true
            }
          }
        ],
        tool_choice: { type: "function", function: { name: "get_rate" } },
        parallel_tool_calls: false
      },
      {
        model: "GPT 5.4 mini",
        messages: [{ role: "user", content: "EUR to PLN today?" }],
        tools: [
          {
            type: "web_search",
            web_search: {
              search_context_size: "medium",
              user_location: { type: "approximate", city: "Vilnius", country: "LT", timezone: "Europe/Vilnius" },
              mcp: { type: "query", options: { tool: "google_search", query: "EUR PLN rate", parse: false } }
            }
          },
          {
            type: "web_search",
            web_search: {
              mcp: { type: "url", options: { tool: "universal", url: "https://nbp.pl", geo_location: "PL" } }
            }
          },
          { type: "web_search" },
          {
            type: "rag",
            rag: { mcp: { collection_uuid: "c0ffee", query: "rates", threshold: 0.5, top_n: 5, model_uuid: "m1" } }
          },
          { type: "tika_ocr", tika_ocr: { file_id: "file-123" } },
          {
            type: "function",
            function: {
              name: "get_rate",
              description: "Look up a rate",
              parameters: { type: "object", properties: { pair: { type: "string" } }, required: ["pair"] },
              strict: true
            }
          }
        ],
        tool_choice: { type: "function", function: { name: "get_rate" } },
        parallel_tool_calls: false
      }
    )
  })

  it("response_format json_schema, thinking, reasoning_effort, verbosity and sampling options", () => {
    roundTrip(
      {
        model: "Claude Haiku 4.5",
        messages: [{ role: "system", content: "Answer in JSON." }, { role: "user", content: "weather?" }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "weather", schema: { type: "object" }, strict: true }
        },
        thinking: { type: "enabled", budget_tokens: 2048 },
        reasoning_effort: "high",
        verbosity: "low",
        temperature: 0,
        top_p: 1,
        n: 2,
        logprobs: true,
        top_logprobs: 0,
        max_completion_tokens: 4096,
        stop: ["\n\n"],
        seed: 7,
        metadata: { team: "a" },
        stream: true,
        stream_options: { include_usage: true }
      },
      {
        model: "Claude Haiku 4.5",
        messages: [{ role: "system", content: "Answer in JSON." }, { role: "user", content: "weather?" }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "weather", schema: { type: "object" }, strict: true }
        },
        thinking: { type: "enabled", budget_tokens: 2048 },
        reasoning_effort: "high",
        verbosity: "low",
        temperature: 0,
        top_p: 1,
        n: 2,
        logprobs: true,
        top_logprobs: 0,
        max_completion_tokens: 4096,
        stop: ["\n\n"],
        seed: 7,
        metadata: { team: "a" },
        stream: true,
        stream_options: { include_usage: true }
      }
    )
  })

  it("a user message with text, image and audio parts", () => {
    roundTrip(
      {
        model: "m",
        messages: [{
          role: "user",
          content: [
            { type: "text", text: "What is in this picture and this clip?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
            { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }
          ]
        }],
        modalities: ["text", "audio"],
        audio: { voice: "alloy", format: "mp3" }
      },
      {
        model: "m",
        messages: [{
          role: "user",
          content: [
            { type: "text", text: "What is in this picture and this clip?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
            { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } }
          ]
        }],
        modalities: ["text", "audio"],
        audio: { voice: "alloy", format: "mp3" }
      }
    )
  })

  it("an assistant message with tool_calls, then the tool result", () => {
    roundTrip(
      {
        model: "m",
        messages: [
          { role: "developer", content: [{ type: "text", text: "Use tools." }] },
          { role: "user", content: "Weather in Boston?" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Boston\"}" } }
            ]
          },
          { role: "tool", tool_call_id: "call_1", content: "{\"temp\":21}" },
          { role: "assistant", content: "It is 21 degrees." }
        ],
        tools: [{ type: "function", function: { name: "get_weather" } }],
        tool_choice: "auto"
      },
      {
        model: "m",
        messages: [
          { role: "developer", content: [{ type: "text", text: "Use tools." }] },
          { role: "user", content: "Weather in Boston?" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Boston\"}" } }
            ]
          },
          { role: "tool", tool_call_id: "call_1", content: "{\"temp\":21}" },
          { role: "assistant", content: "It is 21 degrees." }
        ],
        tools: [{ type: "function", function: { name: "get_weather" } }],
        tool_choice: "auto"
      }
    )
  })

  it("an assistant refusal counts as content", () => {
    roundTrip(
      { model: "m", messages: [user, { role: "assistant", refusal: "I can't help with that." }] },
      { model: "m", messages: [user, { role: "assistant", refusal: "I can't help with that." }] }
    )
  })
})
