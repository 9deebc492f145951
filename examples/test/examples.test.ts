/**
 * Smoke tests of the examples: each program runs against a fresh embedded MockGateway, through the client over real
 * sockets (undici), and its returned value is checked. The real clock is used (`it.live`): the gateway and the retry
 * demo wait for real. The ConfigProvider is emptied so a NEXOS_API_KEY in the environment never reaches the network.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it, vi } from "@effect/vitest"
import { NexosClient } from "@nexos-effect/client"
import { MockGateway } from "@nexos-effect/testing"
import { ConfigProvider, type Console, Effect, Either, Layer, Redacted } from "effect"
import * as Backend from "../src/backend.js"
import * as BatchFile from "../src/batch-file.js"
import * as Batch from "../src/batch.js"
import * as Citations from "../src/citations.js"
import * as Completion from "../src/completion.js"
import * as Conversation from "../src/conversation.js"
import * as DependencyInjection from "../src/dependency-injection.js"
import * as EffectAi from "../src/effect-ai.js"
import * as ErrorHandling from "../src/error-handling.js"
import * as Streaming from "../src/streaming.js"
import * as StructuredOutput from "../src/structured-output.js"
import * as TikaOcr from "../src/tika-ocr.js"
import * as ToolCalls from "../src/tool-calls.js"
import * as ToolLoop from "../src/tool-loop.js"
import * as Tour from "../src/tour.js"
import * as UsageAndCost from "../src/usage-and-cost.js"

const noEnvironment = ConfigProvider.fromMap(new Map())

/** Runs an effect with `Console.log` captured (returned as `output`) instead of printed. */
const captured = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const current = yield* Effect.console
    const capture: Console.Console = {
      ...current,
      log: (...args) => Effect.sync(() => void lines.push(args.join(" ")))
    }
    const result = yield* Effect.withConsole(effect, capture)
    return { result, output: lines.join("\n") }
  })

/** Captures what is written straight to stdout (the streaming example writes deltas inline) until the scope closes. */
const stdoutWrites = Effect.acquireRelease(
  Effect.sync(() => {
    const writes: Array<string> = []
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => writes.push(String(chunk)) > 0)
    return { writes, spy }
  }),
  ({ spy }) => Effect.sync(() => spy.mockRestore())
)

/** Runs an example on a fresh mock gateway; also returns the requests the gateway received. */
const run = <A, E>(program: Effect.Effect<A, E, Backend.Services>) =>
  Effect.zip(program, Effect.flatMap(MockGateway.MockGateway, (gateway) => gateway.requests)).pipe(
    Effect.provide(Backend.mock()),
    Effect.withConfigProvider(noEnvironment),
    captured,
    Effect.map(({ output, result: [result, requests] }) => ({ result, requests, output }))
  )

describe("examples", () => {
  it.live("completion: the answer and its request id", () =>
    Effect.gen(function*() {
      const { output, result } = yield* run(Completion.program)
      assert.strictEqual(result.answer, "Hello from the nexos mock gateway. You said: What is the nexos.ai gateway?")
      assert.strictEqual(result.requestId, "req_mock_00000001")
      assert.include(output, "request id: req_mock_00000001")
    }))

  it.scopedLive("streaming: text, reasoning and finish from the events, written inline", () =>
    Effect.gen(function*() {
      const stdout = yield* stdoutWrites
      const { output, result } = yield* run(Streaming.program)
      assert.strictEqual(
        result.text,
        "Hello from the nexos mock gateway. You said: Explain in two sentences why streaming answers feel faster."
      )
      assert.include(result.reasoning, "Effort low")
      assert.strictEqual(result.finish, "stop")
      assert.isAbove(result.events, 20)
      assert.strictEqual(stdout.writes.join(""), `reasoning: ${result.reasoning}\nanswer: ${result.text}\n`)
      assert.isAbove(stdout.writes.length, 20)
      assert.include(output, "[finish: stop (wire: stop)]")
    }))

  it.live("tool-calls: the call, its local result, the round trip and the final answer", () =>
    Effect.gen(function*() {
      const { requests, result } = yield* run(ToolCalls.program)
      assert.deepStrictEqual(result.calls, [{
        name: "get_weather",
        arguments: "{\"city\":\"mock\",\"unit\":\"celsius\"}"
      }])
      assert.strictEqual(result.results.length, 1)
      const [toolResult] = result.results
      assert.deepStrictEqual(JSON.parse(toolResult!.content), {
        city: "mock",
        temperature: 21,
        unit: "celsius",
        conditions: "sunny"
      })
      assert.strictEqual(result.answer, `The tools returned: ${toolResult!.content}.`)
      // The second request sent the assistant tool_calls and the tool message that answers them.
      assert.strictEqual(requests.length, 2)
      const messages = (requests[1]!.body as { messages: Array<Record<string, any>> }).messages
      assert.deepStrictEqual(messages.map((m) => m.role), ["user", "assistant", "tool"])
      assert.strictEqual(messages[1]!.tool_calls[0].id, toolResult!.tool_call_id)
      assert.strictEqual(messages[2]!.tool_call_id, toolResult!.tool_call_id)
    }))

  it.live("citations: url_citation annotations with their cited text, the same ones streamed", () =>
    Effect.gen(function*() {
      const { output, result } = yield* run(Citations.program)
      assert.deepStrictEqual(result.citations.map((c) => c.title), ["Mock result 1", "Mock result 2"])
      for (const c of result.citations) {
        assert.match(c.url!, /^https:\/\/example\.com\/search\/\d\?q=/)
        assert.isBelow(c.start!, c.end!)
      }
      const first = result.citations[0]!
      assert.strictEqual(
        result.text.slice(first.start, first.end),
        "The nexos.ai gateway serves OpenAI-compatible chat completions for many models."
      )
      assert.deepStrictEqual(result.streamed, result.citations)
      assert.include(output, "cites: \"Its web_search tool attaches the sources it used as url_citation annotations.\"")
    }))

  it.live("tika-ocr: the document is uploaded, read by the gateway's tika_ocr tool, and deleted", () =>
    Effect.gen(function*() {
      const { output, requests, result } = yield* run(TikaOcr.program)
      assert.match(result.fileId, /^storage-mock-/)
      assert.strictEqual(result.bytes, 148)
      assert.include(result.answer, `I read the file ${result.fileId} (148 characters)`)
      assert.include(result.answer, "Total due: 99.00 EUR by 2026-02-15")
      assert.deepStrictEqual(requests.map((r) => `${r.method} ${r.path}`), [
        "POST /v1/storage",
        "POST /v1/chat/completions",
        `DELETE /v1/storage/${result.fileId}`
      ])
      assert.deepStrictEqual((requests[1]!.body as { tools: unknown }).tools, [
        { type: "tika_ocr", tika_ocr: { file_id: result.fileId } }
      ])
      assert.include(output, `uploaded invoice-2026-0042.txt (148 bytes) as ${result.fileId}`)
    }))

  it.live("conversation: two turns built in a pipe, the picture as a data URL, the answer sent back", () =>
    Effect.gen(function*() {
      const { output, requests, result } = yield* run(Conversation.program)
      assert.deepStrictEqual(result.answers, [
        "Hello from the nexos mock gateway. You said: What is in this picture?",
        "Hello from the nexos mock gateway. You said: Describe it again in three words."
      ])
      assert.deepStrictEqual(result.roles, ["system", "user", "assistant", "user"])
      assert.deepStrictEqual(result.issues, ["parallel_tool_calls", "tool_choice.function.name"])
      assert.strictEqual(requests.length, 2)
      const [first, second] = requests.map((r) => (r.body as { messages: Array<Record<string, any>> }).messages)
      assert.deepStrictEqual(first![1]!.content[1].image_url.detail, "low")
      assert.match(first![1]!.content[1].image_url.url, /^data:image\/png;base64,iVBORw0KGgo/)
      assert.deepStrictEqual(second![2], { role: "assistant", content: result.answers[0] })
      assert.include(output, "not sent: tool_choice.function.name: names no function tool: \"get_colour\"")
    }))

  it.live("usage-and-cost: the same usage from create and from the stream", () =>
    Effect.gen(function*() {
      const { result } = yield* run(UsageAndCost.program)
      const create = result.create!
      assert.isAbove(create.prompt_tokens, 0)
      assert.strictEqual(create.total_tokens, create.prompt_tokens + create.completion_tokens)
      assert.isAbove(create.nexos_credits_cost!, 0)
      assert.strictEqual(create.completion_tokens_details?.reasoning_tokens, 0)
      const stream = result.stream!
      assert.deepStrictEqual(
        [stream.prompt_tokens, stream.completion_tokens, stream.total_tokens, stream.nexos_credits_cost],
        [create.prompt_tokens, create.completion_tokens, create.total_tokens, create.nexos_credits_cost]
      )
    }))

  it.live("dependency-injection: the program on the mock Layer; the real one skipped without a key", () =>
    Effect.gen(function*() {
      const { output, result } = yield* run(DependencyInjection.program)
      assert.strictEqual(result.mock.answer, "You are talking to the embedded mock gateway.")
      assert.match(result.mock.requestId!, /^req_mock_/)
      assert.isUndefined(result.real)
      assert.include(output, "real gateway: skipped")
    }))

  it.live("error-handling: each error's tag, status, code and retryability; the retry honours retry-after-ms", () =>
    Effect.gen(function*() {
      const { requests, result } = yield* run(ErrorHandling.program)
      assert.deepStrictEqual(
        result.errors.map((e) => [e.tag, e.status, e.code, e.isRetryable]),
        [
          ["InvalidRequest", undefined, undefined, false],
          ["AuthenticationError", 401, "invalid_api_key", false],
          ["OutOfCredits", 402, "out_of_credits", false],
          ["RateLimited", 429, "rate_limit_exceeded", true],
          ["ServerError", 503, "server_error", true],
          ["StreamError", undefined, 529, false]
        ]
      )
      assert.include(result.errors[0]!.message, "n: must be an integer from 1 to 128, got 0")
      assert.strictEqual(result.retry?.attempts, 3)
      assert.isAtLeast(result.retry!.elapsedMs, 100)
      // n: 0 never left the process: 1 (401) + 3 (faults) + 1 (stream) + 3 (retried) requests.
      assert.strictEqual(requests.length, 8)
    }))

  it.scopedLive("error-handling: without the mock in context the fault injection is skipped", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const client = NexosClient.layer({ apiKey: Redacted.make(gateway.apiKey), baseUrl: gateway.url })
      const { output, result } = yield* ErrorHandling.program.pipe(
        Effect.provide(Layer.provideMerge(client, NodeHttpClient.layerUndici)),
        Effect.withConfigProvider(MockGateway.configProvider(gateway)),
        captured
      )
      assert.deepStrictEqual(result.errors.map((e) => e.tag), ["InvalidRequest", "AuthenticationError"])
      assert.isUndefined(result.retry)
      assert.include(output, "fault injection skipped")
    }))

  it.live("batch: 20 results in input order, failures kept per item", () =>
    Effect.gen(function*() {
      const { result } = yield* run(Batch.program)
      assert.strictEqual(result.results.length, 20)
      assert.deepStrictEqual(result.failed, [{ index: 6, tag: "InvalidRequest" }, { index: 12, tag: "ServerError" }])
      result.results.forEach((r, i) => {
        if (Either.isRight(r)) assert.isTrue(r.right.endsWith(`about the number ${i + 1}.`), r.right)
      })
      assert.deepStrictEqual(result.batch.map((r) => r.key), Array.from({ length: 20 }, (_, i) => `fact-${i + 1}`))
      assert.deepStrictEqual(result.batch.filter((r) => r.attempts !== 1).map((r) => [r.key, r.attempts]), [[
        "fact-13",
        2
      ]])
    }))

  it.live("batch-file: a JSONL file with a malformed line, then resumed with nothing sent", () =>
    Effect.gen(function*() {
      const { requests, result } = yield* run(BatchFile.program)
      assert.deepStrictEqual(
        [result.first.total, result.first.succeeded, result.first.failed, result.first.skipped],
        [9, 8, 1, 0]
      )
      assert.deepStrictEqual([result.again.total, result.again.succeeded, result.again.skipped], [9, 0, 9])
      assert.strictEqual(requests.length, 8)
      assert.deepStrictEqual(
        result.lines.map((l) => l.custom_id).sort(),
        ["line-9", ...Array.from({ length: 8 }, (_, i) => `topic-${i + 1}`)].sort()
      )
      const broken = result.lines.find((l) => l.custom_id === "line-9")!
      assert.isNull(broken.response)
      assert.include(broken.error!.message, "line 9")
    }))

  it.live("structured-output: a typed value, a Truncated failure, streamed partials, json_object mode", () =>
    Effect.gen(function*() {
      const { output, requests, result } = yield* run(StructuredOutput.program)
      assert.deepStrictEqual(result.city, {
        name: "mock",
        country: "mock",
        population: 1,
        landmarks: [{ name: "mock", built: 0 }]
      })
      assert.match(result.cut, /^Truncated after "\{/)
      assert.isAbove(result.partials, 5)
      assert.deepStrictEqual(result.streamed, result.city)
      assert.deepStrictEqual(result.viaInstruction, result.city)
      const formats = requests.map((r) => (r.body as { response_format: { type: string } }).response_format.type)
      assert.deepStrictEqual(formats, ["json_schema", "json_schema", "json_schema", "json_object"])
      assert.include(
        output,
        "population on the wire: {\"anyOf\":[{\"type\":\"integer\",\"exclusiveMinimum\":0},{\"type\":\"null\"}]}"
      )
    }))

  it.live("tool-loop: both tools run with an injected service, the answer from their results, events by step", () =>
    Effect.gen(function*() {
      const { output, requests, result } = yield* run(ToolLoop.program)
      assert.strictEqual(result.stopReason, "answered")
      assert.deepStrictEqual(result.steps.map((s) => s.toolResults.map((r) => `${r.name}:${r.status}`)), [
        ["get_rate:success", "get_date:success"],
        []
      ])
      const [rate, date] = result.steps[0]!.toolResults
      assert.deepStrictEqual(rate!.result, { from: "mock", to: "mock", rate: 1 })
      assert.strictEqual(date!.content, "2026-01-01")
      assert.strictEqual(result.answer, `The tools returned: ${rate!.content}; 2026-01-01.`)
      assert.strictEqual(
        result.usage.total_tokens,
        result.steps.reduce((n, s) => n + s.usage!.total_tokens, 0)
      )
      assert.isAbove(result.usage.nexos_credits_cost!, 0)
      assert.deepStrictEqual(result.tags, [
        "1:StepStart",
        "1:ToolResult(get_rate)",
        "1:ToolResult(get_date)",
        "1:StepFinish",
        "2:StepStart",
        "2:StepFinish",
        "2:Done"
      ])
      assert.strictEqual(requests.length, 4)
      assert.include(output, "step 1: get_rate(")
    }))

  it.live("effect-ai: a toolkit through Chat, streamed parts with credits, a typed object, web_search sources", () =>
    Effect.gen(function*() {
      const { output, requests, result } = yield* run(EffectAi.program)
      assert.deepStrictEqual(result.toolCalls, [{ name: "get_weather", params: { city: "mock" } }])
      assert.deepStrictEqual(result.toolResults, [{ city: "mock", celsius: 21, conditions: "sunny" }])
      assert.strictEqual(
        result.answer,
        "The tools returned: {\"city\":\"mock\",\"celsius\":21,\"conditions\":\"sunny\"}."
      )
      assert.strictEqual(result.streamed, "Hello from the nexos mock gateway. You said: Say hello in five words")
      assert.deepStrictEqual(result.kinds, ["response-metadata", "text-start", "text-delta", "text-end", "finish"])
      assert.isAbove(result.credits!, 0)
      assert.deepStrictEqual(result.city, { name: "mock", country: "mock", population: 0 })
      assert.deepStrictEqual(result.sources, [
        "https://example.com/search/1?q=What%20does%20the%20nexos.ai%20gateway%20do%3F",
        "https://example.com/search/2?q=What%20does%20the%20nexos.ai%20gateway%20do%3F"
      ])
      assert.strictEqual(requests.length, 5)
      assert.isTrue(requests.every((r) => (r.body as { temperature?: number }).temperature === 0))
      assert.include(output, "tool call: get_weather({\"city\":\"mock\"})")
    }))

  it.scopedLive("tour: every section, in order, on one gateway", () =>
    Effect.gen(function*() {
      yield* stdoutWrites
      const { output } = yield* run(Tour.tour)
      const headers = output.split("\n").filter((line) => line.startsWith("=== "))
      assert.deepStrictEqual(headers.map((h) => h.slice(4, h.indexOf("."))), [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "11",
        "12",
        "13",
        "14"
      ])
      assert.include(output, "embedded mock gateway")
      assert.include(output, "18/20 succeeded, 2 failed")
      assert.match(output, /tour finished: 14 sections in \d+ ms/)
    }))
})
