/**
 * The multi-step tool loop on `NexosClient` with an `@effect/ai` `Toolkit`: send the request with the toolkit's
 * tools, run the calls the model makes with the toolkit's handlers (provided by `toolkit.toLayer(...)`), send the
 * results back as `tool` messages and repeat until the model answers, a stop condition holds or the step limit is
 * reached. `run` returns the final completion with every step and the summed usage (nexos credits included);
 * `stream` gives the same loop as events, each carrying its step. Bad calls (an unknown tool, arguments that fail
 * the tool's schema, a failing or slow handler) go back to the model as the tool message, after an optional repair
 * hook, unless `onBadCall: "fail"`. Interrupting the loop interrupts the running handlers.
 *
 * @since 0.1.0
 */
import * as Tool from "@effect/ai/Tool"
import type * as Toolkit from "@effect/ai/Toolkit"
import * as ChatEvent from "@nexos-effect/client/ChatEvent"
import type * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as NexosError from "@nexos-effect/client/NexosError"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Usage from "@nexos-effect/schema/Usage"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Mailbox from "effect/Mailbox"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { requestTools } from "./internal/requestTools.js"
import * as UsageSum from "./internal/usage.js"

/**
 * How one tool call went. `success` and `failure` come from the handler (`failure` is a failure the tool returns
 * to the model, its `failureMode: "return"`); the others are bad calls: `unknown-tool` (no such tool in the
 * toolkit), `invalid-arguments` (not JSON, or not the tool's parameters), `handler-error` (the handler failed),
 * `timeout` (the handler took longer than its timeout).
 *
 * @since 0.1.0
 * @category models
 */
export type Status = "success" | "failure" | "unknown-tool" | "invalid-arguments" | "handler-error" | "timeout"

/**
 * The outcome of one tool call: the call as the model made it (after a repair: `repaired` holds the call the
 * model made), how it went, the value (the handler's result or failure, or the error) and the text sent back to
 * the model as the `tool` message.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolResult {
  readonly id: string
  readonly name: string
  readonly arguments: string
  readonly status: Status
  readonly result: unknown
  readonly content: string
  readonly repaired?: { readonly name: string; readonly arguments: string }
}

/**
 * One step: the request sent, the completion received, the results of its tool calls (in call order) and its
 * usage.
 *
 * @since 0.1.0
 * @category models
 */
export interface Step {
  /** 1 for the first request. */
  readonly step: number
  readonly request: ChatCompletionRequest.ChatCompletionRequest
  readonly completion: ChatCompletion.ChatCompletion
  readonly toolResults: ReadonlyArray<ToolResult>
  readonly usage: Usage.Usage | undefined
}

/**
 * Why the loop ended: the model answered without tool calls (`answered`), a stop condition held after a step
 * (`stop-condition`), or the step limit was reached with tool calls still being made (`max-steps`).
 *
 * @since 0.1.0
 * @category models
 */
export type StopReason = "answered" | "stop-condition" | "max-steps"

/**
 * The loop's result: the last completion, every step, the usage summed over the steps (tokens, details and
 * `nexos_credits_cost`) and the whole conversation (the request's messages, then each step's assistant message
 * and tool messages).
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly completion: ChatCompletion.ChatCompletion
  readonly steps: ReadonlyArray<Step>
  readonly usage: Usage.Usage
  readonly stopReason: StopReason
  readonly messages: ReadonlyArray<ChatCompletionRequest.Message>
}

/**
 * A condition checked after each step that ran tool calls; the loop ends when one holds.
 *
 * @since 0.1.0
 * @category stop conditions
 */
export type StopCondition = (steps: ReadonlyArray<Step>) => boolean

/**
 * Stops after `count` steps.
 *
 * @since 0.1.0
 * @category stop conditions
 */
export const stepCountIs = (count: number): StopCondition => (steps) => steps.length >= count

/**
 * Stops once the last step called one of the tools (its result is in the step; the model gets no further turn).
 *
 * @since 0.1.0
 * @category stop conditions
 */
export const hasToolCall = (...names: ReadonlyArray<string>): StopCondition => (steps) =>
  steps.length > 0 && steps[steps.length - 1].toolResults.some((r) => names.includes(r.name))

/**
 * A bad call handed to the repair hook.
 *
 * @since 0.1.0
 * @category models
 */
export interface BadCall {
  readonly step: number
  readonly id: string
  readonly name: string
  readonly arguments: string
  readonly status: "unknown-tool" | "invalid-arguments"
  /** What is wrong, as the model would read it. */
  readonly message: string
  /** The names of the toolkit's tools. */
  readonly toolNames: ReadonlyArray<string>
}

/**
 * What the step being prepared looks like to `prepareStep`.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepContext {
  readonly step: number
  readonly steps: ReadonlyArray<Step>
  /** The request about to be sent (its messages are the conversation so far). */
  readonly request: ChatCompletionRequest.ChatCompletionRequest
}

/**
 * Per-step settings returned by `prepareStep`.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepSettings {
  /** The tool choice of this step. */
  readonly toolChoice?: ChatCompletionRequest.ToolChoiceInput
  /** The toolkit tools sent in this step, by name (default: all). The request's own tools are always sent. */
  readonly activeTools?: ReadonlyArray<string>
  /** Replaces the conversation from this step on (e.g. a shortened history). */
  readonly messages?: ReadonlyArray<ChatCompletionRequest.Message>
  /** Other request fields for this step only (sampling, model, ...). */
  readonly request?: Partial<Omit<ChatCompletionRequest.ChatCompletionRequest, "messages" | "tools">>
}

/**
 * Options of `run` and `stream`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<Tools extends Record<string, Tool.Any>, E = never, R = never> {
  /** The tools: a `Toolkit` (its handlers come from `toolkit.toLayer(...)`) or a toolkit with its handlers. */
  readonly toolkit: Toolkit.WithHandler<Tools> | Effect.Effect<Toolkit.WithHandler<Tools>, E, R>
  /** The most requests sent (default 10). */
  readonly maxSteps?: number
  /** Conditions checked after each step that ran tool calls. */
  readonly stopWhen?: StopCondition | ReadonlyArray<StopCondition>
  /** Send the last allowed step (`maxSteps`) with `tool_choice: "none"`, so the loop ends with an answer. */
  readonly finalAnswer?: boolean
  /** How many tool calls of one step run at once (default 4; 1 when the request says `parallel_tool_calls: false`). */
  readonly concurrency?: number
  /** The longest a handler may take (default: no limit). */
  readonly toolTimeout?: Duration.DurationInput
  /** Per-tool timeouts by tool name, over `toolTimeout`. */
  readonly toolTimeouts?: { readonly [Name in keyof Tools]?: Duration.DurationInput }
  /** `feedback` (default): a bad call goes back to the model as the tool message; `fail`: the loop fails with
   * `ToolLoopError`. */
  readonly onBadCall?: "feedback" | "fail"
  /** Fixes an unknown-tool or invalid-arguments call before it is reported: return the call to make instead, or
   * `undefined` to report it. A repaired call is checked again (once). */
  readonly repairToolCall?: (
    call: BadCall
  ) => Effect.Effect<{ readonly name: string; readonly arguments: string } | undefined>
  /** Per-step control: tool choice, active tools, messages, other fields. */
  readonly prepareStep?: (
    context: StepContext
  ) => StepSettings | undefined | Effect.Effect<StepSettings | undefined>
  /** Request options for every model call. */
  readonly requestOptions?: NexosClient.RequestOptions
}

/**
 * The loop failed because of a tool call (only with `onBadCall: "fail"`): `reason` is the call's status, `cause`
 * the handler's error or the decode failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolLoopError extends Schema.TaggedError<ToolLoopError>()("ToolLoopError", {
  message: Schema.String,
  reason: Schema.Literal("unknown-tool", "invalid-arguments", "handler-error", "timeout", "invalid-tool"),
  step: Schema.Number,
  toolName: Schema.String,
  toolCallId: Schema.String,
  arguments: Schema.String,
  cause: Schema.optional(Schema.Unknown)
}) {}

/**
 * The events of `stream`, each with its step: `StepStart` (the request about to be sent), `Chat` (an event of the
 * model's streamed answer), `ToolResult` (a tool call finished; in the order they finish), `StepFinish` (the step
 * with its results in call order) and, last, `Done` with the loop's result.
 *
 * @since 0.1.0
 * @category models
 */
export type Event =
  | {
    readonly _tag: "StepStart"
    readonly step: number
    readonly request: ChatCompletionRequest.ChatCompletionRequest
  }
  | { readonly _tag: "Chat"; readonly step: number; readonly event: ChatEvent.ChatEvent }
  | { readonly _tag: "ToolResult"; readonly step: number; readonly result: ToolResult }
  | { readonly _tag: "StepFinish"; readonly step: number; readonly result: Step }
  | { readonly _tag: "Done"; readonly step: number; readonly result: Result }

type Emit = (event: Event) => Effect.Effect<void>
type Send = (
  step: number,
  request: ChatCompletionRequest.ChatCompletionRequest
) => Effect.Effect<ChatCompletion.ChatCompletion, NexosError.NexosError>

interface Call {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

const defaultConcurrency = 4

const describe = (u: unknown): string => {
  if (typeof u === "string") return u
  if (Predicate.hasProperty(u, "message") && typeof u.message === "string") return u.message
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}

const contentOf = (value: unknown): string => ChatCompletionRequest.toolResult("_", value).content

const toolCallsOf = (completion: ChatCompletion.ChatCompletion, step: number): ReadonlyArray<Call> => {
  const choice = completion.choices.find((c) => c.index === 0) ?? completion.choices[0]
  return (choice?.message.tool_calls ?? []).map((call, index) => ({
    id: call.id === "" ? `call_step${step}_${index}` : call.id,
    name: call.function.name,
    arguments: call.function.arguments
  }))
}

const assistantMessage = (
  completion: ChatCompletion.ChatCompletion,
  calls: ReadonlyArray<Call>
): ChatCompletionRequest.AssistantMessage => {
  const choice = completion.choices.find((c) => c.index === 0) ?? completion.choices[0]
  const message = ChatCompletionRequest.fromResponse(completion, choice?.index ?? 0)
  if (calls.length === 0) return message
  return {
    ...message,
    tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }))
  }
}

type Checked =
  | { readonly _tag: "Ok"; readonly call: Call; readonly params: unknown }
  | { readonly _tag: "Bad"; readonly status: "unknown-tool" | "invalid-arguments"; readonly message: string }

const check = (tools: Record<string, Tool.Any>, call: Call): Effect.Effect<Checked> => {
  const tool = tools[call.name]
  if (tool === undefined || Tool.isProviderDefined(tool)) {
    const names = Object.values(tools).filter((t) => !Tool.isProviderDefined(t)).map((t) => t.name)
    return Effect.succeed({
      _tag: "Bad",
      status: "unknown-tool",
      message: `There is no tool named ${JSON.stringify(call.name)}. The tools are: ${names.join(", ")}.`
    })
  }
  const parsed = ChatEvent.parseArguments(call.arguments, call.name)
  if (Either.isLeft(parsed)) {
    return Effect.succeed({ _tag: "Bad", status: "invalid-arguments", message: parsed.left.message })
  }
  return Schema.decodeUnknown(tool.parametersSchema as Schema.Schema<unknown, unknown>)(parsed.right).pipe(
    Effect.as<Checked>({ _tag: "Ok", call, params: parsed.right }),
    Effect.catchAll((error) =>
      Effect.succeed<Checked>({
        _tag: "Bad",
        status: "invalid-arguments",
        message: `The arguments of ${call.name} do not fit its parameters: ${
          ParseResult.TreeFormatter.formatErrorSync(error)
        }`
      })
    )
  )
}

interface Settings<Tools extends Record<string, Tool.Any>> {
  readonly toolkit: Toolkit.WithHandler<Tools>
  readonly options: Options<Tools, any, any>
  readonly step: number
}

const fail = (
  settings: Settings<any>,
  call: Call,
  reason: ToolLoopError["reason"],
  message: string,
  cause?: unknown
) =>
  new ToolLoopError({
    message: `Step ${settings.step}: ${message}`,
    reason,
    step: settings.step,
    toolName: call.name,
    toolCallId: call.id,
    arguments: call.arguments,
    ...(cause === undefined ? {} : { cause })
  })

const bad = (
  settings: Settings<any>,
  call: Call,
  status: Exclude<Status, "success" | "failure">,
  message: string,
  cause: unknown,
  repaired: Call | undefined
): Effect.Effect<ToolResult, ToolLoopError> =>
  settings.options.onBadCall === "fail"
    ? Effect.fail(fail(settings, call, status, message, cause))
    : Effect.succeed({
      id: call.id,
      name: call.name,
      arguments: call.arguments,
      status,
      result: cause ?? message,
      content: `Error: ${message}`,
      ...(repaired === undefined ? {} : { repaired: { name: repaired.name, arguments: repaired.arguments } })
    })

const timeoutOf = (options: Options<any, any, any>, name: string): Duration.Duration | undefined => {
  const input = (options.toolTimeouts as Record<string, Duration.DurationInput | undefined> | undefined)?.[name] ??
    options.toolTimeout
  return input === undefined ? undefined : Duration.decode(input)
}

const execute = <Tools extends Record<string, Tool.Any>>(
  settings: Settings<Tools>,
  original: Call
): Effect.Effect<ToolResult, ToolLoopError, Tool.Requirements<Tools[keyof Tools]>> =>
  Effect.gen(function*() {
    const { options, toolkit } = settings
    let call = original
    let checked = yield* check(toolkit.tools, call)
    if (checked._tag === "Bad" && options.repairToolCall !== undefined) {
      const fixed = yield* options.repairToolCall({
        step: settings.step,
        id: call.id,
        name: call.name,
        arguments: call.arguments,
        status: checked.status,
        message: checked.message,
        toolNames: Object.keys(toolkit.tools)
      })
      if (fixed !== undefined) {
        call = { id: call.id, name: fixed.name, arguments: fixed.arguments }
        checked = yield* check(toolkit.tools, call)
      }
    }
    const repaired = call === original ? undefined : original
    if (checked._tag === "Bad") return yield* bad(settings, call, checked.status, checked.message, undefined, repaired)
    const handled = toolkit.handle(call.name as keyof Tools, checked.params as any) as Effect.Effect<
      Tool.HandlerResult<Tool.Any>,
      unknown,
      Tool.Requirements<Tools[keyof Tools]>
    >
    const timeout = timeoutOf(options, call.name)
    const outcome = yield* Effect.either(
      timeout === undefined ? handled : Effect.timeoutFail(handled, {
        duration: timeout,
        onTimeout: () => new TimedOut(timeout)
      })
    )
    const withRepair = repaired === undefined
      ? {}
      : { repaired: { name: repaired.name, arguments: repaired.arguments } }
    if (Either.isLeft(outcome)) {
      const error = outcome.left
      return yield* error instanceof TimedOut
        ? bad(
          settings,
          call,
          "timeout",
          `The tool ${call.name} did not answer within ${Duration.format(error.timeout)}.`,
          undefined,
          repaired
        )
        : bad(settings, call, "handler-error", `The tool ${call.name} failed: ${describe(error)}`, error, repaired)
    }
    const { encodedResult, isFailure, result } = outcome.right
    return {
      id: call.id,
      name: call.name,
      arguments: call.arguments,
      status: isFailure ? "failure" : "success",
      result,
      content: contentOf(encodedResult),
      ...withRepair
    } satisfies ToolResult
  })

class TimedOut {
  constructor(readonly timeout: Duration.Duration) {}
}

const prepare = (
  base: ChatCompletionRequest.ChatCompletionRequest,
  messages: ReadonlyArray<ChatCompletionRequest.Message>,
  wireTools: ReadonlyArray<ChatCompletionRequest.Tool>,
  settings: StepSettings | undefined,
  last: boolean,
  finalAnswer: boolean
): ChatCompletionRequest.ChatCompletionRequest => {
  const active = settings?.activeTools
  const toolkitTools = active === undefined
    ? wireTools
    : wireTools.filter((t) => t.type === "function" ? active.includes(t.function.name) : true)
  const tools = [...(base.tools ?? []), ...toolkitTools]
  let request: ChatCompletionRequest.ChatCompletionRequest = {
    ...base,
    ...settings?.request,
    messages
  }
  if (tools.length > 0) request = { ...request, tools }
  else {
    const { parallel_tool_calls: _p, tool_choice: _c, tools: _t, ...rest } = request
    request = rest
  }
  if (settings?.toolChoice !== undefined) request = ChatCompletionRequest.setToolChoice(request, settings.toolChoice)
  if (last && finalAnswer && tools.length > 0) request = { ...request, tool_choice: "none" }
  return request
}

const loop = <Tools extends Record<string, Tool.Any>, E, R>(
  request: ChatCompletionRequest.ChatCompletionRequest,
  options: Options<Tools, E, R>,
  send: Send,
  emit: Emit | undefined
): Effect.Effect<Result, NexosError.NexosError | ToolLoopError | E, R | Tool.Requirements<Tools[keyof Tools]>> =>
  Effect.gen(function*() {
    const toolkit: Toolkit.WithHandler<Tools> = Effect.isEffect(options.toolkit)
      ? yield* options.toolkit
      : options.toolkit
    const wire = requestTools(Object.values(toolkit.tools))
    if (Either.isLeft(wire)) {
      return yield* new ToolLoopError({
        message: wire.left.message,
        reason: "invalid-tool",
        step: 0,
        toolName: wire.left.tool,
        toolCallId: "",
        arguments: "",
        cause: wire.left
      })
    }
    const maxSteps = Math.max(1, options.maxSteps ?? 10)
    const conditions = options.stopWhen === undefined
      ? []
      : Array.isArray(options.stopWhen)
      ? options.stopWhen as ReadonlyArray<StopCondition>
      : [options.stopWhen as StopCondition]
    const steps: Array<Step> = []
    let messages: ReadonlyArray<ChatCompletionRequest.Message> = request.messages
    let usage = UsageSum.zero
    for (let step = 1;; step++) {
      const draft: ChatCompletionRequest.ChatCompletionRequest = { ...request, messages }
      const prepared = options.prepareStep?.({ step, steps, request: draft })
      const stepSettings = Effect.isEffect(prepared) ? yield* prepared : prepared
      if (stepSettings?.messages !== undefined) messages = stepSettings.messages
      const stepRequest = prepare(
        request,
        messages,
        wire.right,
        stepSettings,
        step === maxSteps,
        options.finalAnswer === true
      )
      if (emit !== undefined) yield* emit({ _tag: "StepStart", step, request: stepRequest })
      const completion = yield* send(step, stepRequest)
      usage = UsageSum.sum(usage, completion.usage)
      const calls = toolCallsOf(completion, step)
      const settings: Settings<Tools> = { toolkit, options, step }
      const concurrency = stepRequest.parallel_tool_calls === false ? 1 : options.concurrency ?? defaultConcurrency
      const toolResults = yield* Effect.forEach(
        calls,
        (call) =>
          emit === undefined
            ? execute(settings, call)
            : Effect.tap(execute(settings, call), (result) => emit({ _tag: "ToolResult", step, result })),
        { concurrency }
      )
      const done: Step = { step, request: stepRequest, completion, toolResults, usage: completion.usage }
      steps.push(done)
      messages = [
        ...messages,
        assistantMessage(completion, calls),
        ...toolResults.map((r) => ChatCompletionRequest.toolResult(r.id, r.content))
      ]
      if (emit !== undefined) yield* emit({ _tag: "StepFinish", step, result: done })
      const stopReason: StopReason | undefined = calls.length === 0
        ? "answered"
        : conditions.some((condition) => condition(steps))
        ? "stop-condition"
        : step >= maxSteps
        ? "max-steps"
        : undefined
      if (stopReason !== undefined) return { completion, steps, usage, stopReason, messages }
    }
  })

/**
 * Runs the loop: each step sends the request with the toolkit's tools (after the request's own tools, e.g.
 * `NexosTool` ones), runs the model's tool calls (at most `concurrency` at once; one at a time when the request says
 * `parallel_tool_calls: false`), appends the assistant message and the tool messages in call order, and goes on
 * until the model answers without tool calls, a `stopWhen` condition holds, or `maxSteps` (default 10) requests
 * were sent.
 *
 * @example
 * ```ts
 * import * as Tool from "@effect/ai/Tool"
 * import * as Toolkit from "@effect/ai/Toolkit"
 * import { ToolLoop } from "@nexos-effect/ai"
 * import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
 * import { Effect, Schema } from "effect"
 *
 * const GetRate = Tool.make("get_rate", {
 *   parameters: { from: Schema.String, to: Schema.String },
 *   success: Schema.Number
 * })
 * const tools = Toolkit.make(GetRate)
 * const handlers = tools.toLayer({ get_rate: () => Effect.succeed(4.27) })
 *
 * const program = ToolLoop.run(
 *   ChatCompletionRequest.make("GPT 5.4 mini", { messages: [ChatCompletionRequest.user("EUR to PLN?")] }),
 *   { toolkit: tools, maxSteps: 5 }
 * ).pipe(Effect.provide(handlers))
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const run = <Tools extends Record<string, Tool.Any>, E = never, R = never>(
  request: ChatCompletionRequest.ChatCompletionRequest,
  options: Options<Tools, E, R>
): Effect.Effect<
  Result,
  NexosError.NexosError | ToolLoopError | E,
  NexosClient.NexosClient | R | Tool.Requirements<Tools[keyof Tools]>
> =>
  Effect.flatMap(NexosClient.NexosClient, (client) =>
    loop(
      request,
      options,
      (_, stepRequest) => client.chat.completions.create(stepRequest, options.requestOptions),
      undefined
    ))

/**
 * The loop of `run` as a stream of events: each model answer streamed (`Chat` events), each tool result as it
 * finishes, each step when done and, last, `Done` with the result `run` returns. Every event carries its step.
 * Stopping the stream (or interrupting its consumer) interrupts the model call and the running handlers.
 *
 * @since 0.1.0
 * @category running
 */
export const stream = <Tools extends Record<string, Tool.Any>, E = never, R = never>(
  request: ChatCompletionRequest.ChatCompletionRequest,
  options: Options<Tools, E, R>
): Stream.Stream<
  Event,
  NexosError.NexosError | ToolLoopError | E,
  NexosClient.NexosClient | R | Tool.Requirements<Tools[keyof Tools]>
> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const mailbox = yield* Mailbox.make<Event, NexosError.NexosError | ToolLoopError | E>({ capacity: 256 })
    const emit: Emit = (event) => Effect.asVoid(mailbox.offer(event))
    const send: Send = (step, stepRequest) => {
      let completed: ChatStream.Completed | undefined
      return client.chat.completions.streamWithCompletion(stepRequest, options.requestOptions).pipe(
        Stream.runForEach((part) => {
          if (part._tag === "Completed") {
            completed = part
            return Effect.void
          }
          return emit({ _tag: "Chat", step, event: part })
        }),
        Effect.flatMap(() =>
          completed === undefined
            ? Effect.fail(
              new NexosError.StreamTruncated({ message: "The stream ended without its completion", chunks: 0 })
            )
            : Effect.succeed(completed.completion)
        )
      )
    }
    yield* loop(request, options, send, emit).pipe(
      Effect.flatMap((result) =>
        emit({ _tag: "Done", step: result.steps[result.steps.length - 1]?.step ?? 0, result })
      ),
      Mailbox.into(mailbox),
      Effect.forkScoped
    )
    return Mailbox.toStream(mailbox)
  }))

/**
 * Sums usages (tokens, token details and `nexos_credits_cost`), as `run` does over its steps.
 *
 * @since 0.1.0
 * @category usage
 */
export const sumUsage = (usages: Iterable<Usage.Usage | undefined>): Usage.Usage => {
  let total = UsageSum.zero
  for (const usage of usages) total = UsageSum.sum(total, usage)
  return total
}
