import * as Tool from "@effect/ai/Tool"
import * as Toolkit from "@effect/ai/Toolkit"
import { assert, describe, it } from "@effect/vitest"
import * as ToolLoop from "@nexos-effect/ai/ToolLoop"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Chunk, Context, Deferred, Effect, Fiber, Layer, Ref, Schema, Stream, TestClock } from "effect"
import { ask, chatBodies, clientOnMock, toolMessages } from "./support.js"

class Forecasts extends Context.Tag("test/Forecasts")<Forecasts, {
  readonly temperature: (city: string) => Effect.Effect<number>
}>() {}

const GetWeather = Tool.make("get_weather", {
  description: "The current weather in a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})
const GetTime = Tool.make("get_time", {
  parameters: { city: Schema.String },
  success: Schema.String
})
const tools = Toolkit.make(GetWeather, GetTime)

const forecasts = Layer.succeed(Forecasts, {
  temperature: (city) => Effect.succeed(city === "Vilnius" ? 21 : 15)
})

const handlers = tools.toLayer(Effect.gen(function*() {
  const service = yield* Forecasts
  return {
    get_weather: ({ city }) => Effect.map(service.temperature(city), (celsius) => ({ city, celsius })),
    get_time: ({ city }) => Effect.succeed(`12:00 in ${city}`)
  }
})).pipe(Layer.provide(forecasts))

const bothTools = Reply.toolCalls([
  { id: "call_w", name: "get_weather", arguments: { city: "Vilnius" } },
  { id: "call_t", name: "get_time", arguments: { city: "Vilnius" } }
])

describe("ToolLoop.run against the mock gateway", () => {
  it.scopedLive("two tools called in parallel, handlers with an injected service, results in call order", () =>
    Effect.gen(function*() {
      const result = yield* ToolLoop.run(ask("Weather and time in Vilnius?"), { toolkit: tools }).pipe(
        Effect.provide(handlers)
      )
      assert.strictEqual(result.stopReason, "answered")
      assert.strictEqual(result.steps.length, 2)
      const [first, second] = result.steps
      assert.deepStrictEqual(first.toolResults.map((r) => [r.id, r.name, r.status, r.content]), [
        ["call_w", "get_weather", "success", "{\"city\":\"Vilnius\",\"celsius\":21}"],
        ["call_t", "get_time", "success", "12:00 in Vilnius"]
      ])
      assert.deepStrictEqual(first.toolResults[0].result, { city: "Vilnius", celsius: 21 })
      assert.deepStrictEqual(second.toolResults, [])
      assert.strictEqual(
        ChatCompletion.text(result.completion),
        "The tools returned: {\"city\":\"Vilnius\",\"celsius\":21}; 12:00 in Vilnius."
      )
      const bodies = yield* chatBodies
      assert.strictEqual(bodies.length, 2)
      assert.deepStrictEqual(bodies[0].tools?.map((t) => t.type === "function" ? t.function.name : t.type), [
        "get_weather",
        "get_time"
      ])
      assert.deepStrictEqual(bodies[0].tools?.[0], {
        type: "function",
        function: {
          name: "get_weather",
          description: "The current weather in a city",
          parameters: {
            type: "object",
            required: ["city"],
            properties: { city: { type: "string" } },
            additionalProperties: false
          }
        }
      })
      assert.deepStrictEqual(toolMessages(bodies[1]), [
        { id: "call_w", content: "{\"city\":\"Vilnius\",\"celsius\":21}" },
        { id: "call_t", content: "12:00 in Vilnius" }
      ])
      const assistant = bodies[1].messages[1]
      assert.strictEqual(assistant.role, "assistant")
      assert.deepStrictEqual(
        assistant.role === "assistant" ? assistant.tool_calls?.map((c) => c.id) : [],
        ["call_w", "call_t"]
      )
      assert.deepStrictEqual(result.messages.map((m) => m.role), ["user", "assistant", "tool", "tool", "assistant"])
      const u1 = first.usage!
      const u2 = second.usage!
      assert.strictEqual(result.usage.prompt_tokens, u1.prompt_tokens + u2.prompt_tokens)
      assert.strictEqual(result.usage.completion_tokens, u1.completion_tokens + u2.completion_tokens)
      assert.strictEqual(result.usage.total_tokens, u1.total_tokens + u2.total_tokens)
      assert.isAbove(u1.nexos_credits_cost!, 0)
      assert.closeTo(result.usage.nexos_credits_cost!, u1.nexos_credits_cost! + u2.nexos_credits_cost!, 1e-12)
    }).pipe(Effect.provide(clientOnMock({ script: [bothTools] }))))

  it.scopedLive("the calls of a step run concurrently: the first waits for the second", () =>
    Effect.gen(function*() {
      const timeKnown = yield* Deferred.make<void>()
      const order = yield* Ref.make<Array<string>>([])
      const waiting = tools.toLayer({
        get_weather: ({ city }) =>
          Deferred.await(timeKnown).pipe(
            Effect.zipRight(Ref.update(order, (o) => [...o, "weather"])),
            Effect.as({ city, celsius: 1 })
          ),
        get_time: ({ city }) =>
          Ref.update(order, (o) => [...o, "time"]).pipe(
            Effect.zipRight(Deferred.succeed(timeKnown, undefined)),
            Effect.as(`now in ${city}`)
          )
      })
      const result = yield* ToolLoop.run(ask("Both"), { toolkit: tools }).pipe(Effect.provide(waiting))
      assert.deepStrictEqual(yield* Ref.get(order), ["time", "weather"])
      assert.deepStrictEqual(result.steps[0].toolResults.map((r) => r.name), ["get_weather", "get_time"])
    }).pipe(Effect.provide(clientOnMock({ script: [bothTools] }))))

  it.scopedLive("parallel_tool_calls: false runs the calls one after the other; concurrency bounds them", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const inFlight = yield* Ref.make(0)
      const most = yield* Ref.make(0)
      const tracked = (name: string) =>
        Effect.gen(function*() {
          const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
          yield* Ref.update(most, (m) => Math.max(m, now))
          yield* Ref.update(log, (l) => [...l, `start ${name}`])
          for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
          yield* Ref.update(log, (l) => [...l, `end ${name}`])
          yield* Ref.update(inFlight, (n) => n - 1)
        })
      const layer = tools.toLayer({
        get_weather: ({ city }) => Effect.as(tracked(`w-${city}`), { city, celsius: 0 }),
        get_time: ({ city }) => Effect.as(tracked(`t-${city}`), city)
      })
      const gateway = yield* MockGateway.MockGateway
      yield* gateway.enqueue(bothTools)
      yield* ToolLoop.run(ask("Both", { parallel_tool_calls: false }), { toolkit: tools }).pipe(
        Effect.provide(layer)
      )
      assert.deepStrictEqual(yield* Ref.get(log), [
        "start w-Vilnius",
        "end w-Vilnius",
        "start t-Vilnius",
        "end t-Vilnius"
      ])
      assert.strictEqual(yield* Ref.get(most), 1)
      const bodies = yield* chatBodies
      assert.strictEqual(bodies[0].parallel_tool_calls, false)

      yield* Ref.set(most, 0)
      yield* gateway.enqueue(
        Reply.toolCalls(["A", "B", "C", "D"].map((city) => ({ name: "get_time", arguments: { city } })))
      )
      const bounded = yield* ToolLoop.run(ask("Four"), { toolkit: tools, concurrency: 2 }).pipe(Effect.provide(layer))
      assert.strictEqual(yield* Ref.get(most), 2)
      assert.deepStrictEqual(bounded.steps[0].toolResults.map((r) => r.content), ["A", "B", "C", "D"])
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("invalid arguments go back to the model, which corrects them", () =>
    Effect.gen(function*() {
      const result = yield* ToolLoop.run(ask("Weather?"), { toolkit: tools }).pipe(Effect.provide(handlers))
      assert.strictEqual(result.steps.length, 3)
      const bad = result.steps[0].toolResults[0]
      assert.strictEqual(bad.status, "invalid-arguments")
      assert.match(bad.content, /^Error: The arguments of get_weather do not fit its parameters: /)
      assert.include(bad.content, "[\"city\"]")
      assert.deepStrictEqual(result.steps[1].toolResults.map((r) => [r.status, r.content]), [
        ["success", "{\"city\":\"Vilnius\",\"celsius\":21}"]
      ])
      const bodies = yield* chatBodies
      assert.deepStrictEqual(toolMessages(bodies[1]).map((m) => m.content), [bad.content])
      assert.strictEqual(result.stopReason, "answered")
    }).pipe(Effect.provide(clientOnMock({
      script: [
        Reply.toolCall("get_weather", { town: "Vilnius" }),
        Reply.toolCall("get_weather", { city: "Vilnius" })
      ]
    }))))

  it.scopedLive("arguments that are not JSON are reported to the model as such", () =>
    Effect.gen(function*() {
      const result = yield* ToolLoop.run(ask("Weather?"), { toolkit: tools }).pipe(Effect.provide(handlers))
      const bad = result.steps[0].toolResults[0]
      assert.strictEqual(bad.status, "invalid-arguments")
      assert.include(bad.content, "are not valid JSON")
    }).pipe(Effect.provide(clientOnMock({ script: [Reply.toolCall("get_weather", "{\"city\": ")] }))))

  it.scopedLive("a repair hook fixes a call before it is reported", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<Array<ToolLoop.BadCall>>([])
      const result = yield* ToolLoop.run(ask("Weather?"), {
        toolkit: tools,
        repairToolCall: (call) =>
          Effect.as(
            Ref.update(seen, (s) => [...s, call]),
            call.name === "weather" ? { name: "get_weather", arguments: call.arguments } : undefined
          )
      }).pipe(Effect.provide(handlers))
      const repaired = result.steps[0].toolResults[0]
      assert.strictEqual(repaired.status, "success")
      assert.strictEqual(repaired.name, "get_weather")
      assert.deepStrictEqual(repaired.repaired, { name: "weather", arguments: "{\"city\":\"Vilnius\"}" })
      const [call] = yield* Ref.get(seen)
      assert.strictEqual(call.status, "unknown-tool")
      assert.deepStrictEqual(call.toolNames, ["get_weather", "get_time"])
      assert.strictEqual(result.steps.length, 2)
    }).pipe(Effect.provide(clientOnMock({ script: [Reply.toolCall("weather", { city: "Vilnius" })] }))))

  it.scopedLive("an unknown tool is reported to the model, or fails the loop with onBadCall: fail", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.MockGateway
      yield* gateway.enqueue(Reply.toolCall("get_stock", { ticker: "NXS" }))
      const result = yield* ToolLoop.run(ask("Stock?"), { toolkit: tools }).pipe(Effect.provide(handlers))
      const unknown = result.steps[0].toolResults[0]
      assert.strictEqual(unknown.status, "unknown-tool")
      assert.strictEqual(
        unknown.content,
        "Error: There is no tool named \"get_stock\". The tools are: get_weather, get_time."
      )
      assert.strictEqual(result.stopReason, "answered")
      assert.include(ChatCompletion.text(result.completion), "There is no tool named")

      yield* gateway.enqueue(Reply.toolCall("get_stock", { ticker: "NXS" }))
      const failure = yield* Effect.flip(
        ToolLoop.run(ask("Stock?"), { toolkit: tools, onBadCall: "fail" }).pipe(Effect.provide(handlers))
      )
      assert.strictEqual(failure._tag, "ToolLoopError")
      if (failure._tag === "ToolLoopError") {
        assert.strictEqual(failure.reason, "unknown-tool")
        assert.strictEqual(failure.toolName, "get_stock")
        assert.strictEqual(failure.arguments, "{\"ticker\":\"NXS\"}")
      }
      assert.strictEqual((yield* chatBodies).length, 3)
    }).pipe(Effect.provide(clientOnMock())))

  it.scopedLive("handler failures: returned failures and errors go back to the model; fail by option", () =>
    Effect.gen(function*() {
      const Flaky = Tool.make("flaky", {
        parameters: { n: Schema.Number },
        success: Schema.Number,
        failure: Schema.Struct({ reason: Schema.String })
      })
      const Returning = Tool.make("returning", {
        parameters: { n: Schema.Number },
        success: Schema.Number,
        failure: Schema.Struct({ reason: Schema.String }),
        failureMode: "return"
      })
      const kit = Toolkit.make(Flaky, Returning)
      const layer = kit.toLayer({
        flaky: ({ n }) => Effect.fail({ reason: `no ${n}` }),
        returning: ({ n }) => Effect.fail({ reason: `not ${n}` })
      })
      const gateway = yield* MockGateway.MockGateway
      const calls = Reply.toolCalls([{ name: "flaky", arguments: { n: 1 } }, {
        name: "returning",
        arguments: { n: 2 }
      }])
      yield* gateway.enqueue(calls)
      const result = yield* ToolLoop.run(ask("Go"), { toolkit: kit }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(result.steps[0].toolResults.map((r) => [r.status, r.content]), [
        ["handler-error", "Error: The tool flaky failed: {\"reason\":\"no 1\"}"],
        ["failure", "{\"reason\":\"not 2\"}"]
      ])
      assert.deepStrictEqual(result.steps[0].toolResults[0].result, { reason: "no 1" })

      yield* gateway.enqueue(calls)
      const error = yield* Effect.flip(ToolLoop.run(ask("Go"), { toolkit: kit, onBadCall: "fail" })).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual(error._tag, "ToolLoopError")
      if (error._tag === "ToolLoopError") {
        assert.strictEqual(error.reason, "handler-error")
        assert.strictEqual(error.toolName, "flaky")
        assert.deepStrictEqual(error.cause, { reason: "no 1" })
        assert.strictEqual(error.step, 1)
      }
    }).pipe(Effect.provide(clientOnMock())))

  const alwaysCalls = (request: { readonly tool_choice?: unknown }) =>
    request.tool_choice === "none" ? undefined : Reply.toolCall("get_time", { city: "Riga" })

  it.scopedLive("the step limit ends a loop that keeps calling tools", () =>
    Effect.gen(function*() {
      const result = yield* ToolLoop.run(ask("Loop"), { toolkit: tools, maxSteps: 3 }).pipe(Effect.provide(handlers))
      assert.strictEqual(result.stopReason, "max-steps")
      assert.deepStrictEqual(result.steps.map((s) => s.step), [1, 2, 3])
      assert.strictEqual(result.completion.choices[0].finish_reason, "tool_calls")
      const bodies = yield* chatBodies
      assert.strictEqual(bodies.length, 3)
      assert.isTrue(bodies.every((b) => b.tool_choice === undefined))
    }).pipe(Effect.provide(clientOnMock({ respond: alwaysCalls }))))

  it.scopedLive("the default step limit is 10", () =>
    Effect.gen(function*() {
      const result = yield* ToolLoop.run(ask("Loop"), { toolkit: tools }).pipe(Effect.provide(handlers))
      assert.strictEqual(result.steps.length, 10)
      assert.strictEqual(result.stopReason, "max-steps")
    }).pipe(Effect.provide(clientOnMock({ respond: alwaysCalls }))))

  it.scopedLive("finalAnswer sends the last allowed step without tools and ends with an answer", () =>
    Effect.gen(function*() {
      const result = yield* ToolLoop.run(ask("Loop"), { toolkit: tools, maxSteps: 3, finalAnswer: true }).pipe(
        Effect.provide(handlers)
      )
      assert.strictEqual(result.stopReason, "answered")
      assert.strictEqual(result.steps.length, 3)
      assert.strictEqual(ChatCompletion.text(result.completion), "The tools returned: 12:00 in Riga.")
      const bodies = yield* chatBodies
      assert.deepStrictEqual(bodies.map((b) => b.tool_choice), [undefined, undefined, "none"])
    }).pipe(Effect.provide(clientOnMock({ respond: alwaysCalls }))))

  it.scopedLive("stop conditions: a tool was called, or a custom predicate", () =>
    Effect.gen(function*() {
      const byTool = yield* ToolLoop.run(ask("Loop"), {
        toolkit: tools,
        stopWhen: ToolLoop.hasToolCall("get_time")
      }).pipe(Effect.provide(handlers))
      assert.strictEqual(byTool.stopReason, "stop-condition")
      assert.strictEqual(byTool.steps.length, 1)
      assert.strictEqual(byTool.steps[0].toolResults[0].content, "12:00 in Riga")

      const byPredicate = yield* ToolLoop.run(ask("Loop"), {
        toolkit: tools,
        stopWhen: [ToolLoop.hasToolCall("get_weather"), (steps) =>
          (steps.at(-1)?.usage?.total_tokens ?? 0) > 0 && steps.length === 2]
      }).pipe(Effect.provide(handlers))
      assert.strictEqual(byPredicate.stopReason, "stop-condition")
      assert.strictEqual(byPredicate.steps.length, 2)
    }).pipe(Effect.provide(clientOnMock({ respond: alwaysCalls }))))

  it.scopedLive("prepareStep controls each step: tool choice, active tools, messages, fields", () =>
    Effect.gen(function*() {
      const result = yield* ToolLoop.run(ask("Weather?"), {
        toolkit: tools,
        prepareStep: ({ step, request }) =>
          step === 1
            ? { toolChoice: { function: "get_weather" }, activeTools: ["get_weather"], request: { temperature: 0 } }
            : { messages: request.messages.slice(1), toolChoice: "none" }
      }).pipe(Effect.provide(handlers))
      assert.strictEqual(result.steps.length, 2)
      const bodies = yield* chatBodies
      assert.deepStrictEqual(bodies[0].tools?.map((t) => t.type === "function" ? t.function.name : t.type), [
        "get_weather"
      ])
      assert.deepStrictEqual(bodies[0].tool_choice, { type: "function", function: { name: "get_weather" } })
      assert.strictEqual(bodies[0].temperature, 0)
      assert.strictEqual(bodies[1].temperature, undefined)
      assert.deepStrictEqual(bodies[1].messages.map((m) => m.role), ["assistant", "tool"])
      assert.strictEqual(bodies[1].tool_choice, "none")
    }).pipe(Effect.provide(clientOnMock())))

  it.scoped("a per-tool timeout reports a slow handler to the model", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const layer = tools.toLayer({
        get_weather: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never),
        get_time: ({ city }) => Effect.succeed(city)
      })
      const fiber = yield* ToolLoop.run(ask("Both"), {
        toolkit: tools,
        toolTimeouts: { get_weather: "5 seconds" }
      }).pipe(Effect.provide(layer), Effect.fork)
      yield* Deferred.await(started)
      yield* TestClock.adjust("6 seconds")
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(result.steps[0].toolResults.map((r) => [r.status, r.content]), [
        ["timeout", "Error: The tool get_weather did not answer within 5s."],
        ["success", "Vilnius"]
      ])
    }).pipe(Effect.provide(clientOnMock({ script: [bothTools] }))))

  it.scopedLive("interrupting the loop interrupts the running handlers", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const layer = tools.toLayer({
        get_weather: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
          ),
        get_time: ({ city }) => Effect.succeed(city)
      })
      const fiber = yield* ToolLoop.run(ask("Both"), { toolkit: tools }).pipe(Effect.provide(layer), Effect.fork)
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* Deferred.isDone(interrupted))
    }).pipe(Effect.provide(clientOnMock({ script: [bothTools] }))))
})

describe("ToolLoop.stream against the mock gateway", () => {
  it.scopedLive("events carry their step: model events, tool results as they finish, steps, then Done", () =>
    Effect.gen(function*() {
      const timeKnown = yield* Deferred.make<void>()
      const layer = tools.toLayer({
        get_weather: ({ city }) => Effect.as(Deferred.await(timeKnown), { city, celsius: 3 }),
        get_time: ({ city }) => Effect.as(Deferred.succeed(timeKnown, undefined), `t ${city}`)
      })
      const events = Chunk.toReadonlyArray(
        yield* Stream.runCollect(ToolLoop.stream(ask("Both"), { toolkit: tools })).pipe(Effect.provide(layer))
      )
      const summary = events.flatMap((e) =>
        e._tag === "Chat"
          ? e.event._tag === "ToolCall" || e.event._tag === "Finish" ? [`${e.step}:${e.event._tag}`] : []
          : e._tag === "ToolResult"
          ? [`${e.step}:ToolResult:${e.result.name}`]
          : [`${e.step}:${e._tag}`]
      )
      assert.deepStrictEqual(summary, [
        "1:StepStart",
        "1:ToolCall",
        "1:ToolCall",
        "1:Finish",
        "1:ToolResult:get_time",
        "1:ToolResult:get_weather",
        "1:StepFinish",
        "2:StepStart",
        "2:Finish",
        "2:StepFinish",
        "2:Done"
      ])
      const text = events.flatMap((e) => e._tag === "Chat" && e.event._tag === "TextDelta" ? [e.event.delta] : [])
      assert.strictEqual(text.join(""), "The tools returned: {\"city\":\"Vilnius\",\"celsius\":3}; t Vilnius.")
      assert.isTrue(
        events.filter((e) => e._tag === "Chat" && e.event._tag === "TextDelta").every((e) => e.step === 2)
      )
      const done = events[events.length - 1]
      assert.strictEqual(done._tag, "Done")
      if (done._tag === "Done") {
        assert.strictEqual(done.result.steps.length, 2)
        assert.deepStrictEqual(done.result.steps[0].toolResults.map((r) => r.name), ["get_weather", "get_time"])
        assert.strictEqual(
          done.result.usage.total_tokens,
          done.result.steps.reduce((n, s) => n + (s.usage?.total_tokens ?? 0), 0)
        )
      }
      const bodies = yield* chatBodies
      assert.isTrue(bodies.every((b) => b.stream === true))
    }).pipe(Effect.provide(clientOnMock({ script: [bothTools] }))))

  it.scopedLive("stopping the stream interrupts the running handlers", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const layer = tools.toLayer({
        get_weather: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
          ),
        get_time: ({ city }) => Effect.succeed(city)
      })
      const fiber = yield* ToolLoop.stream(ask("Both"), { toolkit: tools }).pipe(
        Stream.runDrain,
        Effect.provide(layer),
        Effect.fork
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(interrupted)
      assert.isTrue(yield* Deferred.isDone(interrupted))
    }).pipe(Effect.provide(clientOnMock({ script: [bothTools] }))))
})
