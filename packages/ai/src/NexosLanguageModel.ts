/**
 * nexos as an `@effect/ai` provider: a `LanguageModel` over chat completions, so `LanguageModel.generateText`,
 * `streamText`, `generateObject` and `Chat` run against nexos (or any OpenAI-compatible gateway `NexosClient`
 * points at) and swap with other providers by Layer. `layer({ model, config })` needs `NexosClient`;
 * `model(name, config)` is the same as an `AiModel`. Sampling and other request fields come from the `Config`
 * service, overridable per call with `withConfigOverride`. Tools: your `Tool.make` tools become function tools and
 * `NexosTool`s the gateway's own tools. A `NexosError` becomes an `AiError` that keeps it as `cause`.
 *
 * @since 0.1.0
 */
import * as AiError from "@effect/ai/AiError"
import * as IdGenerator from "@effect/ai/IdGenerator"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiModel from "@effect/ai/Model"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import type * as ChatEvent from "@nexos-effect/client/ChatEvent"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as NexosError from "@nexos-effect/client/NexosError"
import type * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as StrictSchema from "@nexos-effect/client/StrictSchema"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as FinishReason from "@nexos-effect/schema/FinishReason"
import type * as Usage from "@nexos-effect/schema/Usage"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { Simplify } from "effect/Types"
import { requestTools } from "./internal/requestTools.js"

/**
 * The request fields a model call takes from the `Config` service (everything but what `@effect/ai` decides:
 * messages, tools, tool choice, response format, streaming), and `requestOptions` for the client call.
 *
 * @since 0.1.0
 * @category configuration
 */
export class Config extends Context.Tag("@nexos-effect/ai/NexosLanguageModel/Config")<Config, Config.Service>() {
  /**
   * The `Config` in the current context, if any.
   *
   * @since 0.1.0
   */
  static readonly getOrUndefined: Effect.Effect<Config.Service | undefined> = Effect.map(
    Effect.context<never>(),
    (context) => context.unsafeMap.get(Config.key)
  )
}

/**
 * @since 0.1.0
 */
export declare namespace Config {
  /**
   * @since 0.1.0
   * @category configuration
   */
  export interface Service extends
    Simplify<
      Partial<
        Omit<
          ChatCompletionRequest.ChatCompletionRequest,
          "messages" | "tools" | "tool_choice" | "response_format" | "stream" | "stream_options" | "n"
        >
      >
    >
  {
    /** Options of the client call (headers, timeouts, retry policy, extra body fields, query). */
    readonly requestOptions?: NexosClient.RequestOptions
  }
}

declare module "@effect/ai/Response" {
  export interface TextPartMetadata extends ProviderMetadata {
    readonly nexos?: {
      /** The refusal of the model (the text part is then empty). */
      readonly refusal?: string | undefined
    } | undefined
  }
  export interface TextEndPartMetadata extends ProviderMetadata {
    readonly nexos?: {
      readonly refusal?: string | undefined
    } | undefined
  }
  export interface UrlSourcePartMetadata extends ProviderMetadata {
    readonly nexos?: {
      readonly type: "url_citation"
      readonly startIndex?: number | undefined
      readonly endIndex?: number | undefined
    } | undefined
  }
  export interface ResponseMetadataPartMetadata extends ProviderMetadata {
    readonly nexos?: {
      readonly requestId?: string | undefined
      readonly nexosModelId?: string | undefined
    } | undefined
  }
  export interface FinishPartMetadata extends ProviderMetadata {
    readonly nexos?: {
      /** The nexos credits the call cost (`usage.nexos_credits_cost`). */
      readonly credits?: number | undefined
      /** The `finish_reason` as the wire said it. */
      readonly rawFinishReason?: string | undefined
      /** The whole usage object of the response. */
      readonly usage?: Usage.Usage | undefined
    } | undefined
  }
}

/**
 * The model as an `AiModel` (provider `"nexos"`): `Effect.provide(NexosLanguageModel.model("GPT 5.4 mini"))`.
 *
 * @since 0.1.0
 * @category ai models
 */
export const model = (
  model: string,
  config?: Omit<Config.Service, "model">
): AiModel.Model<"nexos", LanguageModel.LanguageModel, NexosClient.NexosClient> =>
  AiModel.make("nexos", layer({ model, ...(config === undefined ? {} : { config }) }))

/**
 * Builds the `LanguageModel` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly model: string
  readonly config?: Omit<Config.Service, "model">
}): Effect.Effect<LanguageModel.Service, never, NexosClient.NexosClient> =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const prepare = (providerOptions: LanguageModel.ProviderOptions, method: string) =>
      Effect.flatMap(Config.getOrUndefined, (context) => {
        const { requestOptions, ...fields } = { model: options.model, ...options.config, ...context }
        return Effect.map(
          makeRequest(providerOptions, fields, method),
          (prepared) => ({ ...prepared, requestOptions })
        )
      })
    return yield* LanguageModel.make({
      generateText: (providerOptions) =>
        Effect.gen(function*() {
          const { request, requestOptions, strict } = yield* prepare(providerOptions, "generateText")
          const { completion, meta } = yield* Effect.mapError(
            client.chat.completions.createWithMeta(request, requestOptions),
            (error) => toAiError(error, "generateText")
          )
          annotate(providerOptions, completion)
          return yield* responseParts(completion, meta, strict)
        }),
      streamText: (providerOptions) =>
        Stream.unwrap(Effect.map(prepare(providerOptions, "streamText"), ({ request, requestOptions }) =>
          client.chat.completions.stream(request, requestOptions).pipe(
            Stream.mapError((error) =>
              toAiError(error, "streamText")
            ),
            streamParts
          )))
    })
  })

/**
 * The `LanguageModel` as a Layer over `NexosClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: {
  readonly model: string
  readonly config?: Omit<Config.Service, "model">
}): Layer.Layer<LanguageModel.LanguageModel, never, NexosClient.NexosClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))

/**
 * Overrides the model's config for the calls inside an effect (merged over the layer's config).
 *
 * @since 0.1.0
 * @category configuration
 */
export const withConfigOverride: {
  (overrides: Config.Service): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R> =>
    Effect.flatMap(Config.getOrUndefined, (config) => Effect.provideService(self, Config, { ...config, ...overrides }))
)

/**
 * Maps a client error to an `AiError`, keeping it as `cause`: `InvalidRequest` becomes `MalformedInput`,
 * `DecodeError` `MalformedOutput`, the others `UnknownError` (their `description` is the error's message).
 *
 * @since 0.1.0
 * @category errors
 */
export const toAiError = (error: NexosError.NexosError, method: string): AiError.AiError => {
  const fields = { module: "NexosLanguageModel", method, description: `${error._tag}: ${error.message}`, cause: error }
  switch (error._tag) {
    case "InvalidRequest":
      return new AiError.MalformedInput(fields)
    case "DecodeError":
      return new AiError.MalformedOutput(fields)
    default:
      return new AiError.UnknownError(fields)
  }
}

const malformedInput = (method: string, description: string, cause?: unknown) =>
  new AiError.MalformedInput({
    module: "NexosLanguageModel",
    method,
    description,
    ...(cause === undefined ? {} : { cause })
  })

const jsonText = (value: unknown): string => typeof value === "string" ? value : JSON.stringify(value) ?? "null"

const userContent = (
  parts: ReadonlyArray<Prompt.UserMessagePart>,
  method: string
): Either.Either<ChatCompletionRequest.UserContent, AiError.MalformedInput> => {
  if (parts.every((p) => p.type === "text")) return Either.right(parts.map((p) => (p as Prompt.TextPart).text).join(""))
  const out: Array<ChatCompletionRequest.UserPart> = []
  for (const part of parts) {
    if (part.type === "text") {
      out.push(ChatCompletionRequest.text(part.text))
      continue
    }
    const data = part.data instanceof URL ? part.data.toString() : part.data
    if (part.mediaType.startsWith("image/")) {
      out.push(
        typeof data === "string" && !/^(https?:|data:)/.test(data)
          ? ChatCompletionRequest.image(
            `data:${part.mediaType === "image/*" ? "image/jpeg" : part.mediaType};base64,${data}`
          )
          : ChatCompletionRequest.image(data, { mediaType: part.mediaType })
      )
    } else if ((part.mediaType === "audio/wav" || part.mediaType === "audio/mpeg") && typeof data !== "string") {
      out.push(ChatCompletionRequest.audio(data, part.mediaType === "audio/wav" ? "wav" : "mp3"))
    } else if (
      (part.mediaType === "audio/wav" || part.mediaType === "audio/mpeg") && !/^https?:/.test(data as string)
    ) {
      out.push(ChatCompletionRequest.audio(data as string, part.mediaType === "audio/wav" ? "wav" : "mp3"))
    } else {
      return Either.left(
        malformedInput(
          method,
          `Unsupported file for chat completions: ${part.mediaType} (images and wav/mp3 audio are)`
        )
      )
    }
  }
  return Either.right(out)
}

const toMessages = (
  prompt: Prompt.Prompt,
  method: string
): Either.Either<Array<ChatCompletionRequest.Message>, AiError.MalformedInput> => {
  const messages: Array<ChatCompletionRequest.Message> = []
  for (const message of prompt.content) {
    switch (message.role) {
      case "system": {
        messages.push(ChatCompletionRequest.system(message.content))
        break
      }
      case "user": {
        const content = userContent(message.content, method)
        if (Either.isLeft(content)) return Either.left(content.left)
        messages.push(ChatCompletionRequest.user(content.right))
        break
      }
      case "assistant": {
        let text = ""
        const calls: Array<ChatCompletionRequest.ToolCallInput> = []
        for (const part of message.content) {
          if (part.type === "text") text += part.text
          else if (part.type === "tool-call" && !part.providerExecuted) {
            calls.push({ id: part.id, name: part.name, arguments: JSON.stringify(part.params ?? {}) })
          }
        }
        if (text === "" && calls.length === 0) break
        messages.push(
          ChatCompletionRequest.assistant({
            ...(text === "" && calls.length > 0 ? {} : { content: text }),
            ...(calls.length === 0 ? {} : { tool_calls: calls })
          })
        )
        break
      }
      case "tool": {
        for (const part of message.content) {
          if (!part.providerExecuted) messages.push(ChatCompletionRequest.toolResult(part.id, jsonText(part.result)))
        }
        break
      }
    }
  }
  return Either.right(messages)
}

type Prepared = {
  readonly request: ChatCompletionRequest.ChatCompletionRequest
  readonly strict: StrictSchema.StrictSchema<unknown, unknown> | undefined
}

const objectName = (name: string): string => {
  const clean = name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64)
  return clean === "" ? "response" : clean
}

const makeRequest = (
  options: LanguageModel.ProviderOptions,
  fields: Omit<Config.Service, "requestOptions"> & { readonly model: string },
  method: string
): Effect.Effect<Prepared, AiError.AiError> =>
  Effect.suspend(() => {
    const messages = toMessages(options.prompt, method)
    if (Either.isLeft(messages)) return Effect.fail(messages.left)
    let request: ChatCompletionRequest.ChatCompletionRequest = { ...fields, messages: messages.right }
    if (options.tools.length > 0) {
      const tools = requestTools(options.tools)
      if (Either.isLeft(tools)) return Effect.fail(malformedInput(method, tools.left.message, tools.left))
      request = { ...request, tools: tools.right }
      const choice = options.toolChoice
      if (choice === "auto" || choice === "none" || choice === "required") request = { ...request, tool_choice: choice }
      else if ("tool" in choice) {
        const tool = options.tools.find((t) => t.name === choice.tool)
        request = {
          ...request,
          tool_choice: tool !== undefined && Tool.isProviderDefined(tool)
            ? "auto"
            : { type: "function", function: { name: choice.tool } }
        }
      } else request = { ...request, tool_choice: choice.mode === "required" ? "required" : "auto" }
    }
    let strict: StrictSchema.StrictSchema<unknown, unknown> | undefined
    if (options.responseFormat.type === "json") {
      const schema = options.responseFormat.schema as Schema.Schema<unknown, unknown, never>
      const given = options.responseFormat.objectName
      const made = StrictSchema.make(schema, given === "generateObject" ? undefined : { name: objectName(given) })
      if (Either.isRight(made)) {
        strict = made.right
        request = { ...request, response_format: StrictSchema.responseFormat(made.right) }
      } else {
        const description = Tool.getDescriptionFromSchemaAst(schema.ast)
        request = {
          ...request,
          response_format: {
            type: "json_schema",
            json_schema: {
              name: objectName(options.responseFormat.objectName),
              ...(description === undefined ? {} : { description }),
              schema: Tool.getJsonSchemaFromSchemaAst(schema.ast) as object,
              strict: false
            }
          }
        }
      }
    }
    return Effect.succeed({ request, strict })
  })

const finishReason = (raw: string | undefined): Response.FinishReason => {
  if (raw === undefined) return "unknown"
  switch (FinishReason.normalize(raw)) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    case "content_filter":
      return "content-filter"
    default:
      return "other"
  }
}

const usageOf = (usage: Usage.Usage | undefined): typeof Response.Usage.Encoded => ({
  inputTokens: usage?.prompt_tokens,
  outputTokens: usage?.completion_tokens,
  totalTokens: usage?.total_tokens,
  ...(usage?.completion_tokens_details?.reasoning_tokens === undefined
    ? {}
    : { reasoningTokens: usage.completion_tokens_details.reasoning_tokens }),
  ...(usage?.prompt_tokens_details?.cached_tokens === undefined
    ? {}
    : { cachedInputTokens: usage.prompt_tokens_details.cached_tokens })
})

const finishPart = (
  reason: string | undefined,
  usage: Usage.Usage | undefined
): Response.FinishPartEncoded => ({
  type: "finish",
  reason: finishReason(reason),
  usage: usageOf(usage),
  metadata: {
    nexos: {
      ...(usage?.nexos_credits_cost === undefined ? {} : { credits: usage.nexos_credits_cost }),
      ...(reason === undefined ? {} : { rawFinishReason: reason }),
      ...(usage === undefined ? {} : { usage })
    }
  }
})

const metadataPart = (
  id: string,
  modelId: string,
  created: number,
  meta: ResponseMeta.ResponseMeta | undefined
): Response.ResponseMetadataPartEncoded => ({
  type: "response-metadata",
  ...(id === "" ? {} : { id }),
  ...(modelId === "" ? {} : { modelId }),
  ...(created > 0 ? { timestamp: new Date(created * 1000).toISOString() } : {}),
  metadata: {
    nexos: {
      ...(meta?.requestId === undefined ? {} : { requestId: meta.requestId }),
      ...(meta?.nexosModelId === undefined ? {} : { nexosModelId: meta.nexosModelId })
    }
  }
})

const canParse = (url: string): boolean => {
  try {
    return new URL(url).href !== ""
  } catch {
    return false
  }
}

const sourcePart = (
  id: string,
  url: string,
  title: string | undefined,
  startIndex: number | undefined,
  endIndex: number | undefined
): Response.UrlSourcePartEncoded => ({
  type: "source",
  sourceType: "url",
  id,
  url,
  title: title ?? url,
  metadata: {
    nexos: {
      type: "url_citation",
      ...(startIndex === undefined ? {} : { startIndex }),
      ...(endIndex === undefined ? {} : { endIndex })
    }
  }
})

const parseParams = (name: string, text: string, method: string): Effect.Effect<unknown, AiError.MalformedOutput> =>
  Effect.try({
    try: () => text.trim() === "" ? {} : Tool.unsafeSecureJsonParse(text),
    catch: (cause) =>
      new AiError.MalformedOutput({
        module: "NexosLanguageModel",
        method,
        description: `The arguments of the tool call ${name} are not JSON: ${text}`,
        cause
      })
  })

const structuredText = (
  text: string,
  strict: StrictSchema.StrictSchema<unknown, unknown> | undefined
): string => {
  if (strict === undefined) return text
  try {
    const encoded = StrictSchema.toEncoded(strict, JSON.parse(text))
    return Either.isRight(encoded) ? JSON.stringify(encoded.right) : text
  } catch {
    return text
  }
}

const responseParts = (
  completion: ChatCompletion.ChatCompletion,
  meta: ResponseMeta.ResponseMeta,
  strict: StrictSchema.StrictSchema<unknown, unknown> | undefined
): Effect.Effect<Array<Response.PartEncoded>, AiError.AiError, IdGenerator.IdGenerator> =>
  Effect.gen(function*() {
    const idGenerator = yield* IdGenerator.IdGenerator
    const parts: Array<Response.PartEncoded> = [
      metadataPart(completion.id, completion.model, completion.created, meta)
    ]
    const choice = completion.choices.find((c) => c.index === 0) ?? completion.choices[0]
    const reasoning = ChatCompletion.reasoning(completion, choice?.index ?? 0)
    if (reasoning !== "") parts.push({ type: "reasoning", text: reasoning })
    const text = ChatCompletion.text(completion, choice?.index ?? 0)
    if (text !== "") parts.push({ type: "text", text: structuredText(text, strict) })
    const refusal = choice?.message.refusal
    if (refusal !== undefined && refusal !== "") {
      parts.push({ type: "text", text: "", metadata: { nexos: { refusal } } })
    }
    for (const annotation of choice?.message.annotations ?? []) {
      const citation = annotation.url_citation
      if (citation?.url === undefined || !canParse(citation.url)) continue
      parts.push(
        sourcePart(
          yield* idGenerator.generateId(),
          citation.url,
          citation.title,
          citation.start_index,
          citation.end_index
        )
      )
    }
    for (const call of choice?.message.tool_calls ?? []) {
      parts.push({
        type: "tool-call",
        id: call.id,
        name: call.function.name,
        params: yield* parseParams(call.function.name, call.function.arguments, "generateText")
      })
    }
    parts.push(finishPart(choice?.finish_reason, completion.usage))
    return parts
  })

const annotate = (options: LanguageModel.ProviderOptions, completion: ChatCompletion.ChatCompletion) => {
  options.span.attribute("gen_ai.response.id", completion.id)
  options.span.attribute("gen_ai.response.model", completion.model)
  if (completion.usage !== undefined) {
    options.span.attribute("gen_ai.usage.input_tokens", completion.usage.prompt_tokens)
    options.span.attribute("gen_ai.usage.output_tokens", completion.usage.completion_tokens)
  }
}

class StreamState {
  text: string | undefined
  reasoning: string | undefined
  blocks = 0
  refusal = ""
  reason: string | undefined
  usage: Usage.Usage | undefined
  readonly params = new Map<number, string>()
  readonly calls: Array<Response.ToolCallPartEncoded> = []

  constructor(readonly generateId: () => string) {}

  closeText(out: Array<Response.StreamPartEncoded>) {
    if (this.text !== undefined) out.push({ type: "text-end", id: this.text })
    this.text = undefined
  }

  closeReasoning(out: Array<Response.StreamPartEncoded>) {
    if (this.reasoning !== undefined) out.push({ type: "reasoning-end", id: this.reasoning })
    this.reasoning = undefined
  }

  paramsId(index: number, id: string): string {
    let known = this.params.get(index)
    if (known === undefined) {
      known = id === "" ? `call_${index}` : id
      this.params.set(index, known)
    }
    return known
  }

  feed(
    event: ChatEvent.ChatEvent,
    out: Array<Response.StreamPartEncoded>
  ): AiError.MalformedOutput | undefined {
    if (event._tag !== "Metadata" && event._tag !== "Usage" && event.choice !== 0) return undefined
    switch (event._tag) {
      case "Metadata": {
        out.push(metadataPart(event.id, event.model, event.created, event.meta))
        break
      }
      case "ReasoningDelta": {
        this.closeText(out)
        if (this.reasoning === undefined) {
          this.reasoning = `reasoning-${this.blocks++}`
          out.push({ type: "reasoning-start", id: this.reasoning })
        }
        out.push({ type: "reasoning-delta", id: this.reasoning, delta: event.delta })
        break
      }
      case "TextDelta": {
        this.closeReasoning(out)
        if (this.text === undefined) {
          this.text = `text-${this.blocks++}`
          out.push({ type: "text-start", id: this.text })
        }
        out.push({ type: "text-delta", id: this.text, delta: event.delta })
        break
      }
      case "RefusalDelta": {
        this.refusal += event.delta
        break
      }
      case "ToolCallStart": {
        this.closeReasoning(out)
        this.closeText(out)
        out.push({ type: "tool-params-start", id: this.paramsId(event.index, event.id), name: event.name })
        break
      }
      case "ToolCallDelta": {
        out.push({ type: "tool-params-delta", id: this.paramsId(event.index, ""), delta: event.delta })
        break
      }
      case "ToolCall": {
        const id = this.paramsId(event.index, event.id)
        out.push({ type: "tool-params-end", id })
        if (Either.isLeft(event.parsed)) {
          return new AiError.MalformedOutput({
            module: "NexosLanguageModel",
            method: "streamText",
            description: event.parsed.left.message,
            cause: event.parsed.left
          })
        }
        this.calls.push({
          type: "tool-call",
          id: event.id === "" ? id : event.id,
          name: event.name,
          params: event.parsed.right
        })
        break
      }
      case "Citation": {
        if (canParse(event.url)) {
          out.push(sourcePart(this.generateId(), event.url, event.title, event.startIndex, event.endIndex))
        }
        break
      }
      case "Usage": {
        this.usage = event.usage
        break
      }
      case "Finish": {
        this.reason = event.rawReason === "" ? undefined : event.rawReason
        break
      }
    }
    return undefined
  }

  end(): Array<Response.StreamPartEncoded> {
    const out: Array<Response.StreamPartEncoded> = []
    this.closeReasoning(out)
    this.closeText(out)
    if (this.refusal !== "") {
      const id = `text-${this.blocks++}`
      out.push({ type: "text-start", id }, { type: "text-end", id, metadata: { nexos: { refusal: this.refusal } } })
    }
    out.push(...this.calls)
    out.push(finishPart(this.reason, this.usage))
    return out
  }
}

const streamParts = <R>(
  events: Stream.Stream<ChatEvent.ChatEvent, AiError.AiError, R>
): Stream.Stream<Response.StreamPartEncoded, AiError.AiError, R | IdGenerator.IdGenerator> =>
  Stream.unwrap(Effect.gen(function*() {
    const idGenerator = yield* IdGenerator.IdGenerator
    let sources = 0
    const prefix = yield* idGenerator.generateId()
    const state = new StreamState(() => `${prefix}-source-${sources++}`)
    return Stream.concat(
      Stream.mapChunksEffect(events, (chunk) =>
        Effect.suspend(() => {
          const out: Array<Response.StreamPartEncoded> = []
          for (const event of chunk) {
            const error = state.feed(event, out)
            if (error !== undefined) return Effect.fail(error)
          }
          return Effect.succeed(Chunk.unsafeFromArray(out))
        })),
      Stream.suspend(() => Stream.fromIterable(state.end()))
    )
  }))
