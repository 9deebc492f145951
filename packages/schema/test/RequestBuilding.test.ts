import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Either, Encoding, pipe, Schema } from "effect"

const R = ChatCompletionRequest
type Request = ChatCompletionRequest.ChatCompletionRequest

const encoded = (request: Request): unknown => {
  const result = R.encode(request)
  if (Either.isLeft(result)) return assert.fail(R.formatIssues(result.left))
  return result.right
}

const issuesOf = (request: Request): ReadonlyArray<ChatCompletionRequest.Issue> => {
  const result = R.validate(request)
  if (Either.isRight(result)) return assert.fail(`expected ${JSON.stringify(request)} to be rejected`)
  return result.left
}

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
const base = deepFreeze(pipe(R.make("GPT 5.4 mini"), R.addText("EUR to PLN today?")))

describe("building a request in a pipe", () => {
  it("gives the API reference's web search + RAG + function example, byte for byte", () => {
    const request = pipe(
      R.make("GPT 5.4 mini"),
      R.addText("EUR→PLN today?"),
      R.addWebSearch({
        search_context_size: "medium",
        mcp: { type: "query", tool: "google_search", query: "EUR PLN rate", parse: false }
      }),
      R.addRag({ collection_uuid: "<uuid>", top_n: 5 }),
      R.addFunction({ name: "get_rate", parameters: { type: "object", properties: {} } })
    )
    assert.strictEqual(
      JSON.stringify(encoded(request)),
      JSON.stringify({
        model: "GPT 5.4 mini",
        messages: [{ role: "user", content: "EUR→PLN today?" }],
        tools: [
          {
            type: "web_search",
            web_search: {
              search_context_size: "medium",
              mcp: { type: "query", options: { tool: "google_search", query: "EUR PLN rate", parse: false } }
            }
          },
          { type: "rag", rag: { mcp: { collection_uuid: "<uuid>", top_n: 5 } } },
          { type: "function", function: { name: "get_rate", parameters: { type: "object", properties: {} } } }
        ]
      })
    )
  })

  it("every step data-first and data-last gives the same request; the input is never changed", () => {
    const steps: ReadonlyArray<readonly [(self: Request) => Request, (self: Request) => Request]> = [
      [R.setModel("Claude Haiku 4.5"), (r) => R.setModel(r, "Claude Haiku 4.5")],
      [
        R.set({ temperature: 0, max_completion_tokens: 4096 }),
        (r) => R.set(r, { temperature: 0, max_completion_tokens: 4096 })
      ],
      [R.addMessage(R.system("Be brief."), R.user("hi")), (r) => R.addMessage(r, R.system("Be brief."), R.user("hi"))],
      [R.addText("Be brief.", "system"), (r) => R.addText(r, "Be brief.", "system")],
      [R.addText("more"), (r) => R.addText(r, "more")],
      [R.addImage(png, { detail: "high" }), (r) => R.addImage(r, png, { detail: "high" })],
      [
        R.addResponse({ role: "assistant", content: "ok" }),
        (r) => R.addResponse(r, { role: "assistant", content: "ok" })
      ],
      [R.addToolResult("call_1", { a: 1 }), (r) => R.addToolResult(r, "call_1", { a: 1 })],
      [
        R.addTool({ type: "web_search" }, { type: "tika_ocr", tika_ocr: { file_id: "f" } }),
        (r) => R.addTool(r, { type: "web_search" }, { type: "tika_ocr", tika_ocr: { file_id: "f" } })
      ],
      [R.addFunction({ name: "f" }), (r) => R.addFunction(r, { name: "f" })],
      [R.addWebSearch(), (r) => R.addWebSearch(r)],
      [
        R.addWebSearch({ mcp: { url: "https://nbp.pl" } }),
        (r) => R.addWebSearch(r, { mcp: { url: "https://nbp.pl" } })
      ],
      [R.addRag({ collection_uuid: "c" }), (r) => R.addRag(r, { collection_uuid: "c" })],
      [R.addTikaOcr({ file_id: "file-1" }), (r) => R.addTikaOcr(r, { file_id: "file-1" })],
      [R.setParallelToolCalls(false), (r) => R.setParallelToolCalls(r, false)],
      [R.setThinking(2048), (r) => R.setThinking(r, 2048)],
      [R.setThinking(false), (r) => R.setThinking(r, false)],
      [R.setToolChoice({ function: "f" }), (r) => R.setToolChoice(r, { function: "f" })]
    ]
    const input = deepFreeze(pipe(base, R.setThinking(1024)))
    const before = JSON.stringify(input)
    for (const [dataLast, dataFirst] of steps) {
      const a = pipe(input, dataLast)
      assert.deepStrictEqual(a, dataFirst(input))
      assert.notDeepEqual(a, input)
    }
    assert.strictEqual(JSON.stringify(input), before)
  })

  it("keeps the request type in a pipe, bare or applied", () => {
    expectTypeOf(pipe(base, R.addText("x"), R.addWebSearch(), R.setThinking(1024))).toEqualTypeOf<Request>()
    expectTypeOf(R.addText(base, "x")).toEqualTypeOf<Request>()
    expectTypeOf(pipe(base, R.addWebSearch)).toEqualTypeOf<Request>()
    assert.deepStrictEqual(pipe(base, R.addWebSearch).tools, [{ type: "web_search" }])
    // @ts-expect-error a url MCP cannot use a search engine
    R.addWebSearch({ mcp: { type: "url", tool: "google_search", url: "https://a.example" } })
    // @ts-expect-error a query MCP cannot use universal
    R.addWebSearch({ mcp: { type: "query", tool: "universal", query: "q" } })
  })
})

describe("messages", () => {
  it("addText adds a message with the role, user by default", () => {
    const request = pipe(
      R.make("m"),
      R.addText("Be brief.", "system"),
      R.addText("hi"),
      R.addText("Hello!", "assistant")
    )
    assert.deepStrictEqual(request.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "Hello!" }
    ])
    assert.deepStrictEqual(pipe(R.make("m"), R.addText("x", "developer")).messages, [{
      role: "developer",
      content: "x"
    }])
  })

  it("addImage goes into the last user message, or a new one", () => {
    const url = `data:image/png;base64,${Encoding.encodeBase64(png)}`
    const image = { type: "image_url", image_url: { url } } as const
    const one = pipe(base, R.addImage(png))
    assert.deepStrictEqual(one.messages, [
      { role: "user", content: [{ type: "text", text: "EUR to PLN today?" }, image] }
    ])
    const two = pipe(one, R.addImage("https://example.com/b.jpg"))
    assert.deepStrictEqual(two.messages[0]!.content, [
      { type: "text", text: "EUR to PLN today?" },
      image,
      { type: "image_url", image_url: { url: "https://example.com/b.jpg" } }
    ])
    assert.deepStrictEqual(pipe(R.make("m"), R.addImage(png)).messages, [{ role: "user", content: [image] }])
    assert.deepStrictEqual(pipe(base, R.addText("ok", "assistant"), R.addImage(png)).messages.slice(1), [
      { role: "assistant", content: "ok" },
      { role: "user", content: [image] }
    ])
    assert.deepStrictEqual(pipe(R.make("m"), R.addText(""), R.addImage(png)).messages, [{
      role: "user",
      content: [image]
    }])
    assert.isTrue(Either.isRight(R.validate(two)))
  })

  it("addResponse and addToolResult continue a conversation that validates", () => {
    const completion = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)({
      choices: [{
        message: {
          role: "assistant",
          content: null,
          annotations: [],
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_rate", arguments: "{}" } }]
        }
      }]
    })
    const request = ChatCompletion.toolCalls(completion).reduce(
      (r, call) => R.addToolResult(r, call, { rate: 4.3 }),
      pipe(base, R.addFunction({ name: "get_rate" }), R.addResponse(completion))
    )
    assert.deepStrictEqual(request.messages.slice(1), [
      {
        role: "assistant",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "get_rate", arguments: "{}" } }]
      },
      { role: "tool", tool_call_id: "call_1", content: "{\"rate\":4.3}" }
    ])
    assert.isTrue(Either.isRight(R.validate(request)))
    assert.deepStrictEqual(
      issuesOf(pipe(base, R.addFunction({ name: "get_rate" }), R.addResponse(completion))).map((i) => i.path),
      ["messages[1].tool_calls[0].id"]
    )
  })
})

describe("nexos tools", () => {
  it("web_search: options as the Python SDK takes them, MCP defaults filled", () => {
    const request = pipe(
      base,
      R.addWebSearch(),
      R.addWebSearch({ search_context_size: "high", user_location: { city: "Vilnius", country: "LT" } }),
      R.addWebSearch({ mcp: { query: "EUR PLN rate" } }),
      R.addWebSearch({ mcp: { query: "rate", tool: "bing_search", geo_location: "PL", parse: true } }),
      R.addWebSearch({ mcp: { url: "https://nbp.pl" } }),
      R.addWebSearch({ mcp: { type: "url", url: "https://nbp.pl", tool: "universal" } })
    )
    assert.deepStrictEqual(request.tools, [
      { type: "web_search" },
      {
        type: "web_search",
        web_search: {
          search_context_size: "high",
          user_location: { type: "approximate", city: "Vilnius", country: "LT" }
        }
      },
      {
        type: "web_search",
        web_search: { mcp: { type: "query", options: { tool: "google_search", query: "EUR PLN rate" } } }
      },
      {
        type: "web_search",
        web_search: {
          mcp: { type: "query", options: { tool: "bing_search", query: "rate", geo_location: "PL", parse: true } }
        }
      },
      {
        type: "web_search",
        web_search: { mcp: { type: "url", options: { tool: "universal", url: "https://nbp.pl" } } }
      },
      {
        type: "web_search",
        web_search: { mcp: { type: "url", options: { tool: "universal", url: "https://nbp.pl" } } }
      }
    ])
    assert.isTrue(Either.isRight(R.validate(request)))
  })

  it("web_search: an MCP whose tool does not fit its type is an issue naming the field", () => {
    const mismatched = {
      type: "url",
      tool: "google_search",
      url: "https://nbp.pl"
    } as unknown as ChatCompletionRequest.WebSearchMcpOptions
    const issues = issuesOf(pipe(base, R.addWebSearch({ mcp: mismatched })))
    assert.deepStrictEqual(issues.map((i) => i.path), ["tools[0].web_search.mcp.options.tool"])
    assert.include(issues[0]!.message, "a url MCP needs tool universal, got \"google_search\"")
    const noQuery = { type: "query", url: "https://nbp.pl" } as unknown as ChatCompletionRequest.WebSearchMcpOptions
    assert.deepStrictEqual(
      issuesOf(pipe(base, R.addWebSearch({ mcp: noQuery }))).map((i) => i.path).sort(),
      ["tools[0].web_search.mcp.options.query", "tools[0].web_search.mcp.options.url"]
    )
  })

  it("rag and tika_ocr", () => {
    const request = pipe(
      base,
      R.addRag({ collection_uuid: "c0ffee", query: "rates", threshold: 0.5, top_n: 5, model_uuid: "m1" }),
      R.addTikaOcr({ file_id: "file-123" })
    )
    assert.deepStrictEqual(request.tools, [
      {
        type: "rag",
        rag: { mcp: { collection_uuid: "c0ffee", query: "rates", threshold: 0.5, top_n: 5, model_uuid: "m1" } }
      },
      { type: "tika_ocr", tika_ocr: { file_id: "file-123" } }
    ])
    assert.isTrue(Either.isRight(R.validate(request)))
    assert.deepStrictEqual(issuesOf(pipe(base, R.addRag({ collection_uuid: "c", top_n: 1.5 }))).map((i) => i.path), [
      "tools[0].rag.mcp.top_n"
    ])
    assert.deepStrictEqual(issuesOf(pipe(base, R.addTikaOcr({ file_id: "" }))).map((i) => i.path), [
      "tools[0].tika_ocr.file_id"
    ])
  })
})

describe("options and their combinations", () => {
  it("parallel tool calls need tools, in any order of the steps", () => {
    const issues = issuesOf(pipe(base, R.setParallelToolCalls(true)))
    assert.deepStrictEqual(issues, [{ path: "parallel_tool_calls", message: "is only allowed when tools are given" }])
    const request = pipe(base, R.setParallelToolCalls(false), R.addWebSearch())
    assert.strictEqual(request.parallel_tool_calls, false)
    assert.isTrue(Either.isRight(R.validate(request)))
  })

  it("thinking: a budget, the wire object, or removed; the budget stays below the token limit", () => {
    assert.deepStrictEqual(pipe(base, R.setThinking(2048)).thinking, { type: "enabled", budget_tokens: 2048 })
    assert.deepStrictEqual(pipe(base, R.setThinking({ type: "enabled", budget_tokens: 1024 })).thinking, {
      type: "enabled",
      budget_tokens: 1024
    })
    const removed = pipe(base, R.setThinking(2048), R.setThinking(false))
    assert.isFalse("thinking" in removed)
    assert.deepStrictEqual(issuesOf(pipe(base, R.setThinking(4096), R.set({ max_completion_tokens: 4096 }))), [
      { path: "thinking.budget_tokens", message: "must be less than max_completion_tokens (4096), got 4096" }
    ])
    assert.deepStrictEqual(issuesOf(pipe(base, R.setThinking(0))), [
      { path: "thinking.budget_tokens", message: "must be a positive integer, got 0" }
    ])
    assert.isTrue(Either.isRight(R.validate(pipe(base, R.setThinking(2048), R.set({ max_tokens: 4096 })))))
  })

  it("tool choice: none, auto, required, or one function by name that must be a function tool", () => {
    const withTool = pipe(base, R.addFunction({ name: "get_rate" }), R.addWebSearch())
    assert.deepStrictEqual(pipe(withTool, R.setToolChoice({ function: "get_rate" })).tool_choice, {
      type: "function",
      function: { name: "get_rate" }
    })
    for (const choice of ["none", "auto", "required"] as const) {
      const request = pipe(withTool, R.setToolChoice(choice))
      assert.strictEqual(request.tool_choice, choice)
      assert.isTrue(Either.isRight(R.validate(request)))
    }
    assert.isTrue(Either.isRight(R.validate(pipe(withTool, R.setToolChoice({ function: "get_rate" })))))
    assert.deepStrictEqual(issuesOf(pipe(withTool, R.setToolChoice({ function: "get_time" }))), [{
      path: "tool_choice.function.name",
      message: "names no function tool: \"get_time\" is not among the function tools (get_rate)"
    }])
    assert.deepStrictEqual(issuesOf(pipe(base, R.setToolChoice("required"))), [
      { path: "tool_choice", message: "\"required\" needs at least one tool in tools" }
    ])
    assert.isTrue(Either.isRight(R.validate(pipe(base, R.setToolChoice("none")))))
  })

  it("a request with no message is rejected", () => {
    assert.deepStrictEqual(issuesOf(R.make("m")).map((i) => i.path), ["messages"])
    assert.deepStrictEqual(R.make("m", { temperature: 1 }), { model: "m", messages: [], temperature: 1 })
  })
})
