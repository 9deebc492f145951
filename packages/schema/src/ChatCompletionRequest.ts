/**
 * The body of `POST /v1/chat/completions`: messages by role, content parts, tools (function and the nexos tools
 * `web_search`, `rag`, `tika_ocr`), tool_choice, response_format and every sampling option of the API reference.
 * Outgoing validation is strict: a request the API would reject for its shape fails with an issue that names the
 * field, unknown fields are rejected (send vendor fields through the client's `extraBody`), unset fields are not sent.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as ChatCompletion from "./ChatCompletion.js"
import * as Media from "./internal/media.js"
import { field, stripUndefined } from "./internal/wire.js"

const strict = { parseOptions: { onExcessProperty: "error" } } as const
const obj = <Fields extends Schema.Struct.Fields>(fields: Fields, identifier?: string) =>
  Schema.Struct(fields).annotations(identifier === undefined ? strict : { ...strict, identifier })

const range = (min: number, max: number, what = "a number") =>
  Schema.Number.pipe(
    Schema.filter((n) => n >= min && n <= max, {
      message: (i) => `must be ${what} from ${min} to ${max}, got ${i.actual}`
    })
  )
const intRange = (min: number, max: number) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isInteger(n) && n >= min && n <= max, {
      message: (i) => `must be an integer from ${min} to ${max}, got ${i.actual}`
    })
  )
const Int = Schema.Number.pipe(
  Schema.filter(Number.isInteger, { message: (i) => `must be an integer, got ${i.actual}` })
)
const PositiveInt = Schema.Number.pipe(
  Schema.filter((n) => Number.isInteger(n) && n > 0, { message: (i) => `must be a positive integer, got ${i.actual}` })
)
const NonEmptyString = Schema.String.pipe(Schema.filter((s) => s.length > 0, { message: () => "must not be empty" }))
const JsonSchemaObject = Schema.Object.pipe(
  Schema.filter((o) => !Array.isArray(o), { message: () => "must be a JSON Schema object" })
).annotations({ identifier: "JsonSchemaObject" })
const Name = Schema.String.pipe(
  Schema.filter((s) => /^[a-zA-Z0-9_-]{1,64}$/.test(s), {
    message: (i) => `must be 1 to 64 characters of a-z, A-Z, 0-9, _ or -, got ${JSON.stringify(i.actual)}`
  })
)
const nonEmptyArray = <S extends Schema.Schema.Any>(item: S) =>
  Schema.Array(item).pipe(Schema.filter((a) => a.length > 0, { message: () => "must have at least one item" }))

/**
 * @since 0.1.0
 * @category content parts
 */
export const TextPart = obj({ type: Schema.Literal("text"), text: Schema.String }, "TextPart")

/**
 * @since 0.1.0
 * @category content parts
 */
export interface TextPart extends Schema.Schema.Type<typeof TextPart> {}

/**
 * @since 0.1.0
 * @category content parts
 */
export const ImagePart = obj({
  type: Schema.Literal("image_url"),
  image_url: obj({
    url: NonEmptyString.pipe(Schema.filter((url) => Media.imageUrlProblem(url) ?? true)),
    detail: field(Schema.Literal("auto", "low", "high"))
  })
}, "ImagePart")

/**
 * @since 0.1.0
 * @category content parts
 */
export interface ImagePart extends Schema.Schema.Type<typeof ImagePart> {}

/**
 * @since 0.1.0
 * @category content parts
 */
export const AudioPart = obj({
  type: Schema.Literal("input_audio"),
  input_audio: obj({ data: Schema.String, format: Schema.Literal("wav", "mp3") })
}, "AudioPart")

/**
 * @since 0.1.0
 * @category content parts
 */
export interface AudioPart extends Schema.Schema.Type<typeof AudioPart> {}

/**
 * @since 0.1.0
 * @category content parts
 */
export const RefusalPart = obj({ type: Schema.Literal("refusal"), refusal: Schema.String }, "RefusalPart")

/**
 * @since 0.1.0
 * @category content parts
 */
export interface RefusalPart extends Schema.Schema.Type<typeof RefusalPart> {}

const TextContent = Schema.Union(Schema.String, nonEmptyArray(TextPart))

/**
 * @since 0.1.0
 * @category messages
 */
export const DeveloperMessage = obj({
  role: Schema.Literal("developer"),
  content: TextContent,
  name: field(Schema.String)
}, "DeveloperMessage")

/**
 * @since 0.1.0
 * @category messages
 */
export interface DeveloperMessage extends Schema.Schema.Type<typeof DeveloperMessage> {}

/**
 * @since 0.1.0
 * @category messages
 */
export const SystemMessage = obj(
  { role: Schema.Literal("system"), content: TextContent, name: field(Schema.String) },
  "SystemMessage"
)

/**
 * @since 0.1.0
 * @category messages
 */
export interface SystemMessage extends Schema.Schema.Type<typeof SystemMessage> {}

/**
 * @since 0.1.0
 * @category messages
 */
export const UserMessage = obj({
  role: Schema.Literal("user"),
  content: Schema.Union(Schema.String, nonEmptyArray(Schema.Union(TextPart, ImagePart, AudioPart))),
  name: field(Schema.String)
}, "UserMessage")

/**
 * @since 0.1.0
 * @category messages
 */
export interface UserMessage extends Schema.Schema.Type<typeof UserMessage> {}

/**
 * A tool call as sent back in an assistant message.
 *
 * @since 0.1.0
 * @category messages
 */
export const MessageToolCall = obj({
  id: Schema.String,
  type: Schema.Literal("function"),
  function: obj({ name: Schema.String, arguments: Schema.String })
}, "MessageToolCall")

/**
 * @since 0.1.0
 * @category messages
 */
export interface MessageToolCall extends Schema.Schema.Type<typeof MessageToolCall> {}

/**
 * @since 0.1.0
 * @category messages
 */
export const AssistantMessage = obj({
  role: Schema.Literal("assistant"),
  content: field(Schema.NullOr(Schema.Union(Schema.String, nonEmptyArray(Schema.Union(TextPart, RefusalPart))))),
  refusal: field(Schema.NullOr(Schema.String)),
  name: field(Schema.String),
  audio: field(Schema.NullOr(obj({ id: Schema.String }))),
  tool_calls: field(Schema.Array(MessageToolCall)),
  function_call: field(Schema.NullOr(obj({ name: Schema.String, arguments: Schema.String })))
}).pipe(
  Schema.filter(
    (m) =>
      m.content !== undefined && m.content !== null || (m.tool_calls !== undefined && m.tool_calls.length > 0) ||
      m.function_call != null || m.refusal != null || m.audio != null || {
        path: ["content"],
        message: "an assistant message needs content unless it has tool_calls, function_call, refusal or audio"
      },
    { identifier: "AssistantMessage" }
  )
)

/**
 * @since 0.1.0
 * @category messages
 */
export interface AssistantMessage extends Schema.Schema.Type<typeof AssistantMessage> {}

/**
 * A tool result. `tool_call_id` names the call it answers and is required.
 *
 * @since 0.1.0
 * @category messages
 */
export const ToolMessage = obj({
  role: Schema.Literal("tool"),
  content: TextContent,
  tool_call_id: Schema.propertySignature(NonEmptyString).annotations({
    missingMessage: () => "is missing: a tool message must name the tool_call_id it answers"
  })
}, "ToolMessage")

/**
 * @since 0.1.0
 * @category messages
 */
export interface ToolMessage extends Schema.Schema.Type<typeof ToolMessage> {}

/**
 * Deprecated function result message.
 *
 * @since 0.1.0
 * @category messages
 */
export const FunctionMessage = obj({
  role: Schema.Literal("function"),
  content: Schema.NullOr(Schema.String),
  name: Schema.String
}, "FunctionMessage")

/**
 * Any message, discriminated by `role`.
 *
 * @since 0.1.0
 * @category messages
 */
export const Message = Schema.Union(
  DeveloperMessage,
  SystemMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  FunctionMessage
)

/**
 * @since 0.1.0
 * @category messages
 */
export type Message = Schema.Schema.Type<typeof Message>

/**
 * A function tool. `parameters` is a JSON Schema object.
 *
 * @since 0.1.0
 * @category tools
 */
export const FunctionTool = obj({
  type: Schema.Literal("function"),
  function: obj({
    name: Name,
    description: field(Schema.String),
    parameters: field(JsonSchemaObject),
    strict: field(Schema.NullOr(Schema.Boolean))
  })
}, "FunctionTool")

/**
 * A search on one of the query engines (`google_search`, `bing_search`, `amazon_search`).
 *
 * @since 0.1.0
 * @category tools
 */
export const QuerySearch = obj({
  tool: Schema.Literal("google_search", "bing_search", "amazon_search").annotations({
    message: (i) => ({
      message: `a query MCP needs tool google_search, bing_search or amazon_search, got ${JSON.stringify(i.actual)}`,
      override: true
    })
  }),
  query: Schema.String,
  geo_location: field(Schema.String),
  parse: field(Schema.Boolean)
}, "QuerySearch")

/**
 * A fetch of one URL through the `universal` tool.
 *
 * @since 0.1.0
 * @category tools
 */
export const UrlSearch = obj({
  tool: Schema.Literal("universal").annotations({
    message: (i) => `a url MCP needs tool universal, got ${JSON.stringify(i.actual)}`
  }),
  url: NonEmptyString,
  geo_location: field(Schema.String),
  parse: field(Schema.Boolean)
}, "UrlSearch")

/**
 * A custom MCP search for `web_search`; the tool must fit the type (query: a search engine, url: universal).
 *
 * @since 0.1.0
 * @category tools
 */
export const WebSearchMcp = Schema.Union(
  obj({ type: Schema.Literal("query"), options: QuerySearch }),
  obj({ type: Schema.Literal("url"), options: UrlSearch })
)

/**
 * @since 0.1.0
 * @category tools
 */
export const UserLocation = obj({
  type: Schema.Literal("approximate"),
  city: field(Schema.String),
  country: field(Schema.String),
  region: field(Schema.String),
  timezone: field(Schema.String)
}, "UserLocation")

/**
 * @since 0.1.0
 * @category tools
 */
export interface UserLocation extends Schema.Schema.Type<typeof UserLocation> {}

/**
 * The nexos `web_search` tool; `{ type: "web_search" }` alone is valid.
 *
 * @since 0.1.0
 * @category tools
 */
export const WebSearchTool = obj({
  type: Schema.Literal("web_search"),
  web_search: field(obj({
    search_context_size: field(Schema.Literal("low", "medium", "high")),
    user_location: field(UserLocation),
    mcp: field(WebSearchMcp)
  }))
}, "WebSearchTool")

/**
 * The nexos `rag` tool: searches a knowledge collection.
 *
 * @since 0.1.0
 * @category tools
 */
export const RagTool = obj({
  type: Schema.Literal("rag"),
  rag: field(obj({
    mcp: field(obj({
      collection_uuid: NonEmptyString,
      query: field(Schema.String),
      threshold: field(Schema.Number),
      top_n: field(Int),
      model_uuid: field(Schema.String)
    }))
  }))
}, "RagTool")

/**
 * The nexos `tika_ocr` tool: extracts text from an uploaded file.
 *
 * @since 0.1.0
 * @category tools
 */
export const TikaOcrTool = obj(
  { type: Schema.Literal("tika_ocr"), tika_ocr: obj({ file_id: NonEmptyString }) },
  "TikaOcrTool"
)

/**
 * Any tool, discriminated by `type`.
 *
 * @since 0.1.0
 * @category tools
 */
export const Tool = Schema.Union(FunctionTool, WebSearchTool, RagTool, TikaOcrTool)

/**
 * @since 0.1.0
 * @category tools
 */
export type Tool = Schema.Schema.Type<typeof Tool>

/**
 * `none`, `auto`, `required`, or one function by name.
 *
 * @since 0.1.0
 * @category options
 */
export const ToolChoice = Schema.Union(
  Schema.Literal("none", "auto", "required"),
  obj({ type: Schema.Literal("function"), function: obj({ name: Schema.String }) })
)

/**
 * `text`, `json_object`, or `json_schema` with a named schema.
 *
 * @since 0.1.0
 * @category options
 */
export const ResponseFormat = Schema.Union(
  obj({ type: Schema.Literal("text") }),
  obj({ type: Schema.Literal("json_object") }),
  obj({
    type: Schema.Literal("json_schema"),
    json_schema: obj({
      name: Name,
      description: field(Schema.String),
      schema: field(JsonSchemaObject),
      strict: field(Schema.NullOr(Schema.Boolean))
    })
  })
)

const Fields = {
  model: NonEmptyString,
  messages: nonEmptyArray(Message),
  store: field(Schema.Boolean),
  metadata: field(Schema.Record({ key: Schema.String, value: Schema.String })),
  frequency_penalty: field(range(-2, 2)),
  presence_penalty: field(range(-2, 2)),
  logit_bias: field(Schema.Record({ key: Schema.String, value: intRange(-100, 100) })),
  logprobs: field(Schema.Boolean),
  top_logprobs: field(intRange(0, 20)),
  max_tokens: field(Schema.NullOr(Int)),
  max_completion_tokens: field(Schema.NullOr(Int)),
  n: field(intRange(1, 128)),
  modalities: field(Schema.Array(Schema.Literal("text", "audio"))),
  prediction: field(obj({ type: Schema.Literal("content"), content: TextContent })),
  audio: field(obj({
    voice: Schema.Literal("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse"),
    format: Schema.Literal("wav", "mp3", "flac", "opus", "pcm16")
  })),
  response_format: field(ResponseFormat),
  seed: field(Int),
  service_tier: field(Schema.Literal("auto", "default", "flex", "scale", "priority")),
  stop: field(
    Schema.Union(
      Schema.String,
      Schema.Array(Schema.String).pipe(
        Schema.filter((a) => a.length >= 1 && a.length <= 4, { message: () => "must have 1 to 4 stop sequences" })
      )
    )
  ),
  stream: field(Schema.Boolean),
  stream_options: field(obj({ include_usage: field(Schema.Boolean) })),
  temperature: field(range(0, 2)),
  top_p: field(range(0, 1)),
  tools: field(Schema.Array(Tool)),
  tool_choice: field(ToolChoice),
  parallel_tool_calls: field(Schema.Boolean),
  function_call: field(Schema.Union(Schema.Literal("none", "auto"), obj({ name: Schema.String }))),
  functions: field(Schema.Array(obj({
    name: Name,
    description: field(Schema.String),
    parameters: field(JsonSchemaObject)
  }))),
  thinking: field(obj({ type: field(Schema.String), budget_tokens: field(PositiveInt) })),
  reasoning_effort: field(Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh", "max")),
  verbosity: field(Schema.Literal("low", "medium", "high"))
}

const Base = obj(Fields, "ChatCompletionRequest")

const toolIssues = (r: typeof Base.Type, issues: Array<Schema.FilterIssue>) => {
  const tools = r.tools ?? []
  if (r.parallel_tool_calls !== undefined && tools.length === 0) {
    issues.push({ path: ["parallel_tool_calls"], message: "is only allowed when tools are given" })
  }
  if (r.tool_choice === "required" && tools.length === 0) {
    issues.push({ path: ["tool_choice"], message: "\"required\" needs at least one tool in tools" })
  }
  if (typeof r.tool_choice === "object") {
    const name = r.tool_choice.function.name
    const functions = tools.flatMap((t) => t.type === "function" ? [t.function.name] : [])
    if (!functions.includes(name)) {
      issues.push({
        path: ["tool_choice", "function", "name"],
        message: `names no function tool: ${JSON.stringify(name)} is not among the function tools (${
          functions.length === 0 ? "there are none" : functions.join(", ")
        })`
      })
    }
  }
  const budget = r.thinking?.budget_tokens
  const max = r.max_completion_tokens ?? r.max_tokens
  if (budget !== undefined && max != null && budget >= max) {
    const limit = r.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens"
    issues.push({ path: ["thinking", "budget_tokens"], message: `must be less than ${limit} (${max}), got ${budget}` })
  }
}

const conversationIssues = (messages: ReadonlyArray<Message>, issues: Array<Schema.FilterIssue>) => {
  let caller = -1
  let unanswered: Array<{ readonly id: string; readonly index: number }> = []
  let answerable: ReadonlyArray<string> = []
  const close = (next: number) => {
    for (const call of unanswered) {
      issues.push({
        path: ["messages", caller, "tool_calls", call.index, "id"],
        message: `${JSON.stringify(call.id)} has no tool message answering it ${
          next < messages.length ? `before messages[${next}]` : "at the end of the conversation"
        }`
      })
    }
    unanswered = []
    answerable = []
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]
    if (m.role === "tool") {
      if (answerable.includes(m.tool_call_id)) unanswered = unanswered.filter((c) => c.id !== m.tool_call_id)
      else {
        issues.push({
          path: ["messages", i, "tool_call_id"],
          message: answerable.length === 0
            ? `${
              JSON.stringify(m.tool_call_id)
            } answers no tool call: a tool message must follow an assistant message with tool_calls`
            : `${JSON.stringify(m.tool_call_id)} is not a tool call of messages[${caller}] (${answerable.join(", ")})`
        })
      }
      continue
    }
    close(i)
    if (m.role === "assistant" && m.tool_calls !== undefined && m.tool_calls.length > 0) {
      caller = i
      unanswered = m.tool_calls.map((call, index) => ({ id: call.id, index }))
      answerable = m.tool_calls.map((call) => call.id)
    }
  }
  close(messages.length)
}

/**
 * The request body. Cross-field rules: `top_logprobs` needs `logprobs: true`, `stream_options` needs
 * `stream: true`, `audio` is required when `modalities` includes `"audio"`, `parallel_tool_calls` needs tools,
 * `tool_choice` `"required"` needs a tool and a function by name needs that function tool, `thinking.budget_tokens`
 * must stay below the token limit, every tool call of an assistant message is answered by a `tool` message right
 * after it, and every `tool` message answers one of those calls.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionRequest = Base.pipe(
  Schema.filter((r) => {
    const issues: Array<Schema.FilterIssue> = []
    if (r.top_logprobs !== undefined && r.logprobs !== true) {
      issues.push({ path: ["top_logprobs"], message: "requires logprobs: true" })
    }
    if (r.stream_options !== undefined && r.stream !== true) {
      issues.push({ path: ["stream_options"], message: "is only allowed with stream: true" })
    }
    if (r.modalities?.includes("audio") && r.audio === undefined) {
      issues.push({ path: ["audio"], message: "is required when modalities includes \"audio\"" })
    }
    toolIssues(r, issues)
    conversationIssues(r.messages, issues)
    return issues
  }),
  Schema.annotations({ identifier: "ChatCompletionRequest" })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatCompletionRequest extends Schema.Schema.Type<typeof ChatCompletionRequest> {}

/**
 * One validation problem: the field's path (`messages[2].tool_call_id`) and what is wrong with it.
 *
 * @since 0.1.0
 * @category validation
 */
export interface Issue {
  readonly path: string
  readonly message: string
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`),
    ""
  ) || "(request)"

const responseOnly = /^messages\[\d+\]\.(annotations|reasoning_content|reasoning)$/

const hint = (path: string, message: string): string =>
  responseOnly.test(path) && message.startsWith("is unexpected")
    ? `${message} (a response message is sent back with ChatCompletionRequest.fromResponse, which drops it)`
    : message

const expectedActual = /^Expected (.*), actual (.*)$/s

/**
 * Turns a parse error into issues that name the field.
 *
 * @since 0.1.0
 * @category validation
 */
export const issuesOf = (error: ParseResult.ParseError): ReadonlyArray<Issue> => {
  const all = ParseResult.ArrayFormatter.formatErrorSync(error)
  // A union reports every member it tried ("Expected string, actual [...]" next to the real problem of the array
  // member): a plain type mismatch is dropped when another issue is more specific about the same value (it points
  // deeper into it, or is a failed check at the same path).
  const within = (inner: ReadonlyArray<PropertyKey>, outer: ReadonlyArray<PropertyKey>) =>
    inner.length >= outer.length && outer.every((key, i) => inner[i] === key)
  const moreSpecific = (other: ParseResult.ArrayFormatterIssue, issue: ParseResult.ArrayFormatterIssue) =>
    other !== issue && within(other.path, issue.path) &&
    (other.path.length > issue.path.length || other._tag !== "Type")
  const kept = all
    .filter((issue) => issue._tag !== "Type" || !all.some((other) => moreSpecific(other, issue)))
    .map((issue) => ({ path: formatPath(issue.path), message: hint(formatPath(issue.path), issue.message) }))
  // The members that are left and all say "Expected X, actual Y" about one value become one issue.
  const out: Array<Issue> = []
  for (const issue of kept) {
    const last = out[out.length - 1]
    const a = last === undefined || last.path !== issue.path ? null : expectedActual.exec(last.message)
    const b = a === null ? null : expectedActual.exec(issue.message)
    if (a !== null && b !== null && a[2] === b[2]) {
      out[out.length - 1] = { path: issue.path, message: `Expected ${a[1]} | ${b[1]}, actual ${a[2]}` }
    } else out.push(issue)
  }
  return out
}

/**
 * One line that names every problem: `n: must be an integer from 1 to 128, got 0`.
 *
 * @since 0.1.0
 * @category validation
 */
export const formatIssues = (issues: ReadonlyArray<Issue>): string =>
  issues.map((i) => `${i.path}: ${i.message}`).join("; ")

const validateEither = Schema.validateEither(ChatCompletionRequest, { errors: "all" })

/**
 * Checks a request against the API's rules (keys set to `undefined` count as unset). Returns the request unchanged, or every issue found.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (request: unknown): Either.Either<ChatCompletionRequest, ReadonlyArray<Issue>> =>
  Either.mapLeft(validateEither(stripUndefined(request)), issuesOf)

/**
 * Validates and encodes a request to the JSON object the API expects (unset fields are absent).
 *
 * @since 0.1.0
 * @category validation
 */
export const encode = (request: ChatCompletionRequest): Either.Either<unknown, ReadonlyArray<Issue>> =>
  Either.mapLeft(
    Schema.encodeEither(ChatCompletionRequest, { errors: "all" })(stripUndefined(request) as ChatCompletionRequest),
    issuesOf
  )

/**
 * A text content part.
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (text: string): TextPart => ({ type: "text", text })

/**
 * Options of `image`.
 *
 * @since 0.1.0
 * @category constructors
 */
export interface ImageOptions {
  readonly detail?: "auto" | "low" | "high"
  /** The media type of bytes (`image/png`, ...). Detected from the bytes when not given (PNG, JPEG, GIF, WebP). */
  readonly mediaType?: string
}

/**
 * An image content part. A string is sent as it is (an `https:` or `data:` URL); bytes become a base64 `data:` URL
 * with the given media type, or the one their first bytes show (PNG, JPEG, GIF, WebP). Bytes of another kind with no
 * media type give a `data:application/octet-stream` URL that validation rejects, naming the field.
 *
 * @example
 * import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
 *
 * const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
 * ChatCompletionRequest.image(png).image_url.url // "data:image/png;base64,iVBORw0KGgo="
 *
 * @since 0.1.0
 * @category constructors
 */
export const image = (source: string | Uint8Array | ArrayBuffer, options?: ImageOptions): ImagePart => {
  let url: string
  if (typeof source === "string") url = source
  else {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source)
    url = Media.dataUrl(options?.mediaType ?? Media.sniffImage(bytes) ?? "application/octet-stream", bytes)
  }
  return { type: "image_url", image_url: options?.detail === undefined ? { url } : { url, detail: options.detail } }
}

/**
 * An audio content part: base64 text, or bytes (encoded here), in `wav` or `mp3`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const audio = (data: string | Uint8Array | ArrayBuffer, format: "wav" | "mp3"): AudioPart => ({
  type: "input_audio",
  input_audio: {
    data: typeof data === "string" ? data : Media.base64(data instanceof Uint8Array ? data : new Uint8Array(data)),
    format
  }
})

/**
 * What a user message holds: a string, one part, or a list of strings (text parts) and parts.
 *
 * @since 0.1.0
 * @category constructors
 */
export type UserContent = string | UserPart | ReadonlyArray<string | UserPart>

/**
 * A part of a user message.
 *
 * @since 0.1.0
 * @category constructors
 */
export type UserPart = TextPart | ImagePart | AudioPart

/**
 * Options of the message constructors.
 *
 * @since 0.1.0
 * @category constructors
 */
export interface MessageOptions {
  /** The participant's name. */
  readonly name?: string
}

const named = <M extends object>(message: M, options: MessageOptions | undefined): M =>
  options?.name === undefined ? message : { ...message, name: options.name }

const textContent = (content: string | ReadonlyArray<string | TextPart>): string | ReadonlyArray<TextPart> =>
  typeof content === "string" ? content : content.map((p) => typeof p === "string" ? text(p) : p)

/**
 * A system message.
 *
 * @since 0.1.0
 * @category constructors
 */
export const system = (
  content: string | ReadonlyArray<string | TextPart>,
  options?: MessageOptions
): SystemMessage => named({ role: "system", content: textContent(content) }, options)

/**
 * A developer message (the system message of newer OpenAI models).
 *
 * @since 0.1.0
 * @category constructors
 */
export const developer = (
  content: string | ReadonlyArray<string | TextPart>,
  options?: MessageOptions
): DeveloperMessage => named({ role: "developer", content: textContent(content) }, options)

/**
 * A user message: text, or text and image / audio parts (strings in a list become text parts).
 *
 * @example
 * import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
 *
 * ChatCompletionRequest.user("Hello")
 * ChatCompletionRequest.user(["What is in this picture?", ChatCompletionRequest.image("https://example.com/a.png")])
 *
 * @since 0.1.0
 * @category constructors
 */
export const user = (content: UserContent, options?: MessageOptions): UserMessage =>
  named({
    role: "user",
    content: typeof content === "string"
      ? content
      : Array.isArray(content)
      ? (content as ReadonlyArray<string | UserPart>).map((p) => typeof p === "string" ? text(p) : p)
      : [content as UserPart]
  }, options)

/**
 * A tool call to put in an assistant message: the wire shape (`{ id, function: { name, arguments } }`, as a
 * response's `tool_calls` hold it) or the flat shape of a streamed `ChatEvent.ToolCall` (`{ id, name, arguments }`).
 *
 * @since 0.1.0
 * @category constructors
 */
export type ToolCallInput =
  | { readonly id: string; readonly function: { readonly name: string; readonly arguments: string } }
  | { readonly id: string; readonly name: string; readonly arguments: string }

const toolCallOf = (call: ToolCallInput): MessageToolCall => {
  const fn = "function" in call ? call.function : call
  return { id: call.id, type: "function", function: { name: fn.name, arguments: fn.arguments } }
}

/**
 * The fields of an assistant message for `assistant`.
 *
 * @since 0.1.0
 * @category constructors
 */
export interface AssistantFields extends MessageOptions {
  readonly content?: string | null
  readonly tool_calls?: ReadonlyArray<ToolCallInput>
  readonly refusal?: string
}

/**
 * An assistant message: its text, or its fields (content, tool calls, refusal). For a message the API returned,
 * use `fromResponse`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const assistant = (input: string | AssistantFields): AssistantMessage => {
  if (typeof input === "string") return { role: "assistant", content: input }
  const out: { -readonly [K in keyof AssistantMessage]: AssistantMessage[K] } = { role: "assistant" }
  if (input.content !== undefined) out.content = input.content
  if (input.tool_calls !== undefined && input.tool_calls.length > 0) out.tool_calls = input.tool_calls.map(toolCallOf)
  if (input.refusal !== undefined) out.refusal = input.refusal
  if (input.name !== undefined) out.name = input.name
  return out
}

/**
 * A `tool` message as `toolResult` builds it: its content is always text.
 *
 * @since 0.1.0
 * @category constructors
 */
export interface ToolResultMessage extends ToolMessage {
  readonly content: string
}

/**
 * The result of a tool call, as a `tool` message answering it: the call (anything with its `id`, such as a
 * response's tool call or a streamed `ChatEvent.ToolCall`) or its id, and the value. A string is sent as it is;
 * anything else as JSON text (`undefined` as `null`, bigints as their digits, a reference cycle as `"[Circular]"`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolResult = (call: string | { readonly id: string }, value: unknown): ToolResultMessage => ({
  role: "tool",
  tool_call_id: typeof call === "string" ? call : call.id,
  content: Media.jsonContent(value)
})

const isCompletion = (u: unknown): u is ChatCompletion.ChatCompletion =>
  typeof u === "object" && u !== null && Array.isArray((u as { choices?: unknown }).choices)

/**
 * The assistant message to send back for a message the API returned (a completion's choice, `choice` 0 by
 * default, or the message itself), so a conversation can go on: `role` becomes `"assistant"`, the text and refusal
 * parts of the content, `refusal`, `tool_calls` (in the request's shape), `function_call` and `audio.id` are kept;
 * what the API does not accept back is dropped (`annotations`, `reasoning_content`, `reasoning`, thinking parts,
 * audio data, vendor fields). An empty content next to tool calls is dropped too. A choice that is not there gives
 * an empty assistant message, which validation rejects.
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromResponse = (
  response: ChatCompletion.Message | ChatCompletion.ChatCompletion,
  choice = 0
): AssistantMessage => {
  const message = isCompletion(response)
    ? response.choices.find((c) => c.index === choice)?.message ?? { role: "assistant" }
    : response
  const out: { -readonly [K in keyof AssistantMessage]: AssistantMessage[K] } = { role: "assistant" }
  const calls = message.tool_calls ?? []
  if (calls.length > 0) out.tool_calls = calls.map(toolCallOf)
  const content = message.content
  if (typeof content === "string") {
    if (content !== "" || calls.length === 0) out.content = content
  } else if (content !== undefined) {
    const parts: Array<TextPart | RefusalPart> = []
    for (const part of content) {
      if (part.type === "text" && part.text !== undefined) parts.push(text(part.text))
      else if (part.type === "refusal" && part.refusal !== undefined) {
        parts.push({ type: "refusal", refusal: part.refusal })
      }
    }
    if (parts.length > 0) out.content = parts
  }
  if (message.refusal !== undefined) out.refusal = message.refusal
  if (message.function_call !== undefined) {
    out.function_call = { name: message.function_call.name, arguments: message.function_call.arguments }
  }
  if (message.audio?.id !== undefined) out.audio = { id: message.audio.id }
  return out
}

const isRequest = (u: unknown): u is ChatCompletionRequest =>
  typeof u === "object" && u !== null && Array.isArray((u as { messages?: unknown }).messages) && "model" in u

/**
 * Starts a request for a model, with no messages yet (add them with `addMessage`, `addText`, ...) and any other
 * fields. Requests are plain immutable values: every combinator below returns a new one and works data-first
 * (`addText(request, "hi")`) and data-last in a `pipe` (`pipe(request, addText("hi"))`). Nothing is checked while
 * building, so the steps can come in any order; `validate` (and the client, before sending) checks the result and
 * names every field that is wrong, including combinations (`parallel_tool_calls` without tools, a `tool_choice`
 * naming a function that is not a tool, a web-search MCP whose tool does not fit its type, a tool call without its
 * result, ...).
 *
 * @example
 * import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
 *
 * import { pipe } from "effect/Function"
 *
 * const request = pipe(
 *   ChatCompletionRequest.make("GPT 5.4 mini"),
 *   ChatCompletionRequest.addText("You answer in one sentence.", "system"),
 *   ChatCompletionRequest.addText("What is the EUR to PLN rate today?"),
 *   ChatCompletionRequest.addWebSearch({ search_context_size: "medium", mcp: { query: "EUR PLN rate" } }),
 *   ChatCompletionRequest.set({ temperature: 0 })
 * )
 *
 * @since 0.1.0
 * @category building
 */
export const make = (model: string, fields?: Omit<Partial<ChatCompletionRequest>, "model">): ChatCompletionRequest => ({
  messages: [],
  ...fields,
  model
})

/**
 * Sets any fields of the request (sampling options, `response_format`, ...), replacing what was there.
 *
 * @since 0.1.0
 * @category building
 */
export const set: {
  (fields: Partial<ChatCompletionRequest>): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, fields: Partial<ChatCompletionRequest>): ChatCompletionRequest
} = dual(2, (self: ChatCompletionRequest, fields: Partial<ChatCompletionRequest>) => ({ ...self, ...fields }))

/**
 * Sets the model (a name, a `nexos_model_id` or an agent UUID).
 *
 * @since 0.1.0
 * @category building
 */
export const setModel: {
  (model: string): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, model: string): ChatCompletionRequest
} = dual(2, (self: ChatCompletionRequest, model: string): ChatCompletionRequest => ({ ...self, model }))

/**
 * Appends messages (build them with `system`, `user`, `assistant`, `toolResult`, `fromResponse`).
 *
 * @since 0.1.0
 * @category building
 */
export const addMessage: {
  (...messages: ReadonlyArray<Message>): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, ...messages: ReadonlyArray<Message>): ChatCompletionRequest
} = dual(
  (args) => isRequest(args[0]),
  (self: ChatCompletionRequest, ...messages: ReadonlyArray<Message>): ChatCompletionRequest => ({
    ...self,
    messages: [...self.messages, ...messages]
  })
)

/**
 * The roles `addText` can add.
 *
 * @since 0.1.0
 * @category building
 */
export type TextRole = "user" | "system" | "developer" | "assistant"

const textMessage = (content: string, role: TextRole): Message =>
  role === "user"
    ? user(content)
    : role === "system"
    ? system(content)
    : role === "developer"
    ? developer(content)
    : assistant(content)

/**
 * Appends a text message, from the user unless another role is given.
 *
 * @since 0.1.0
 * @category building
 */
export const addText: {
  (content: string, role?: TextRole): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, content: string, role?: TextRole): ChatCompletionRequest
} = dual(
  (args) => isRequest(args[0]),
  (self: ChatCompletionRequest, content: string, role: TextRole = "user"): ChatCompletionRequest =>
    addMessage(self, textMessage(content, role))
)

/**
 * Adds an image (see `image`) to the last message when it is a user message (its text becomes a text part, an empty
 * text is dropped), else appends a user message holding the image.
 *
 * @since 0.1.0
 * @category building
 */
export const addImage: {
  (
    source: string | Uint8Array | ArrayBuffer,
    options?: ImageOptions
  ): (self: ChatCompletionRequest) => ChatCompletionRequest
  (
    self: ChatCompletionRequest,
    source: string | Uint8Array | ArrayBuffer,
    options?: ImageOptions
  ): ChatCompletionRequest
} = dual(
  (args) => isRequest(args[0]),
  (self: ChatCompletionRequest, source: string | Uint8Array | ArrayBuffer, options?: ImageOptions) => {
    const part = image(source, options)
    const last = self.messages[self.messages.length - 1]
    if (last === undefined || last.role !== "user") return addMessage(self, user(part))
    const parts: ReadonlyArray<UserPart> = typeof last.content !== "string"
      ? last.content
      : last.content === ""
      ? []
      : [text(last.content)]
    return { ...self, messages: [...self.messages.slice(0, -1), { ...last, content: [...parts, part] }] }
  }
)

/**
 * Appends the assistant message of a response (a completion's choice, 0 by default, or a message), converted by
 * `fromResponse`, so the conversation can go on.
 *
 * @since 0.1.0
 * @category building
 */
export const addResponse: {
  (
    response: ChatCompletion.Message | ChatCompletion.ChatCompletion,
    choice?: number
  ): (self: ChatCompletionRequest) => ChatCompletionRequest
  (
    self: ChatCompletionRequest,
    response: ChatCompletion.Message | ChatCompletion.ChatCompletion,
    choice?: number
  ): ChatCompletionRequest
} = dual(
  (args) => isRequest(args[0]),
  (
    self: ChatCompletionRequest,
    response: ChatCompletion.Message | ChatCompletion.ChatCompletion,
    choice?: number
  ): ChatCompletionRequest => addMessage(self, fromResponse(response, choice))
)

/**
 * Appends the result of a tool call (see `toolResult`).
 *
 * @since 0.1.0
 * @category building
 */
export const addToolResult: {
  (call: string | { readonly id: string }, value: unknown): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, call: string | { readonly id: string }, value: unknown): ChatCompletionRequest
} = dual(
  3,
  (self: ChatCompletionRequest, call: string | { readonly id: string }, value: unknown): ChatCompletionRequest =>
    addMessage(self, toolResult(call, value))
)

/**
 * Appends tools (any kind: `function`, `web_search`, `rag`, `tika_ocr`).
 *
 * @since 0.1.0
 * @category building
 */
export const addTool: {
  (...tools: ReadonlyArray<Tool>): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, ...tools: ReadonlyArray<Tool>): ChatCompletionRequest
} = dual(
  (args) => isRequest(args[0]),
  (self: ChatCompletionRequest, ...tools: ReadonlyArray<Tool>): ChatCompletionRequest => ({
    ...self,
    tools: [...(self.tools ?? []), ...tools]
  })
)

/**
 * A function tool as `addFunction` takes it: `parameters` is a JSON Schema object (omit it for no parameters).
 *
 * @since 0.1.0
 * @category building
 */
export interface FunctionOptions {
  readonly name: string
  readonly description?: string
  readonly parameters?: object
  readonly strict?: boolean
}

/**
 * Appends a function tool.
 *
 * @since 0.1.0
 * @category building
 */
export const addFunction: {
  (fn: FunctionOptions): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, fn: FunctionOptions): ChatCompletionRequest
} = dual(
  2,
  (self: ChatCompletionRequest, fn: FunctionOptions): ChatCompletionRequest =>
    addTool(self, { type: "function", function: fn })
)

/**
 * A custom web-search MCP as the nexos Python SDK takes it, flat: `query` on a search engine (`type: "query"`, the
 * default; `tool` defaults to `google_search`) or one `url` through `universal` (`type: "url"`, the default when
 * `url` is given; `tool` defaults to `universal`). A `tool` that does not fit the type is a type error here and a
 * validation issue at run time.
 *
 * @since 0.1.0
 * @category building
 */
export type WebSearchMcpOptions =
  | {
    readonly type?: "query"
    readonly tool?: "google_search" | "bing_search" | "amazon_search"
    readonly query: string
    readonly geo_location?: string
    readonly parse?: boolean
  }
  | {
    readonly type?: "url"
    readonly tool?: "universal"
    readonly url: string
    readonly geo_location?: string
    readonly parse?: boolean
  }

/**
 * Options of `addWebSearch`; all optional (`{ type: "web_search" }` alone is valid).
 *
 * @since 0.1.0
 * @category building
 */
export interface WebSearchOptions {
  readonly search_context_size?: "low" | "medium" | "high"
  /** `type` defaults to `"approximate"`. */
  readonly user_location?: Omit<UserLocation, "type"> & { readonly type?: "approximate" }
  readonly mcp?: WebSearchMcpOptions
}

const webSearchMcp = (mcp: WebSearchMcpOptions) => {
  const { type: given, ...options } = mcp
  const type = given ?? ("url" in mcp && !("query" in mcp) ? "url" : "query")
  return { type, options: { tool: type === "url" ? "universal" : "google_search", ...options } }
}

/**
 * Appends the nexos `web_search` tool, with its options as the Python SDK's `with_search_engine_tool` takes them.
 *
 * @since 0.1.0
 * @category building
 */
export const addWebSearch: {
  (options?: WebSearchOptions): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, options?: WebSearchOptions): ChatCompletionRequest
} = dual(
  (args) => isRequest(args[0]),
  (self: ChatCompletionRequest, options?: WebSearchOptions): ChatCompletionRequest => {
    if (options === undefined) return addTool(self, { type: "web_search" })
    const { mcp, user_location, ...rest } = options
    const web_search = {
      ...rest,
      ...(user_location === undefined ? {} : { user_location: { type: "approximate" as const, ...user_location } }),
      ...(mcp === undefined ? {} : { mcp: webSearchMcp(mcp) })
    }
    // The MCP's tool is only checked by validation, so that a JavaScript caller gets an issue naming it.
    return addTool(self, { type: "web_search", web_search } as Tool)
  }
)

/**
 * Options of `addRag`: the knowledge collection to search and how.
 *
 * @since 0.1.0
 * @category building
 */
export interface RagOptions {
  readonly collection_uuid: string
  readonly query?: string
  readonly threshold?: number
  readonly top_n?: number
  readonly model_uuid?: string
}

/**
 * Appends the nexos `rag` tool (a search in a knowledge collection).
 *
 * @since 0.1.0
 * @category building
 */
export const addRag: {
  (options: RagOptions): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, options: RagOptions): ChatCompletionRequest
} = dual(
  2,
  (self: ChatCompletionRequest, options: RagOptions): ChatCompletionRequest =>
    addTool(self, { type: "rag", rag: { mcp: options } })
)

/**
 * Options of `addTikaOcr`: the uploaded file to extract text from.
 *
 * @since 0.1.0
 * @category building
 */
export interface TikaOcrOptions {
  readonly file_id: string
}

/**
 * Appends the nexos `tika_ocr` tool (text extraction from an uploaded file).
 *
 * @since 0.1.0
 * @category building
 */
export const addTikaOcr: {
  (options: TikaOcrOptions): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, options: TikaOcrOptions): ChatCompletionRequest
} = dual(
  2,
  (self: ChatCompletionRequest, options: TikaOcrOptions): ChatCompletionRequest =>
    addTool(self, { type: "tika_ocr", tika_ocr: { file_id: options.file_id } })
)

/**
 * Allows or forbids parallel tool calls (the request needs tools).
 *
 * @since 0.1.0
 * @category building
 */
export const setParallelToolCalls: {
  (enabled: boolean): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, enabled: boolean): ChatCompletionRequest
} = dual(
  2,
  (self: ChatCompletionRequest, enabled: boolean): ChatCompletionRequest => ({ ...self, parallel_tool_calls: enabled })
)

/**
 * Thinking as `setThinking` takes it: the wire object, a token budget (`{ type: "enabled", budget_tokens }`), or
 * `false` to remove it.
 *
 * @since 0.1.0
 * @category building
 */
export type ThinkingInput = { readonly type?: string; readonly budget_tokens?: number } | number | false

/**
 * Sets (or, with `false`, removes) extended thinking. The budget must stay below the token limit when one is set.
 *
 * @since 0.1.0
 * @category building
 */
export const setThinking: {
  (thinking: ThinkingInput): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, thinking: ThinkingInput): ChatCompletionRequest
} = dual(2, (self: ChatCompletionRequest, thinking: ThinkingInput): ChatCompletionRequest => {
  if (thinking === false) {
    const { thinking: _, ...rest } = self
    return rest
  }
  return { ...self, thinking: typeof thinking === "number" ? { type: "enabled", budget_tokens: thinking } : thinking }
})

/**
 * A tool choice as `setToolChoice` takes it: `"none"`, `"auto"`, `"required"`, one function by name
 * (`{ function: "get_rate" }`) or the wire object.
 *
 * @since 0.1.0
 * @category building
 */
export type ToolChoiceInput = Schema.Schema.Type<typeof ToolChoice> | { readonly function: string }

/**
 * Sets the tool choice. A function named here must be one of the request's function tools.
 *
 * @since 0.1.0
 * @category building
 */
export const setToolChoice: {
  (choice: ToolChoiceInput): (self: ChatCompletionRequest) => ChatCompletionRequest
  (self: ChatCompletionRequest, choice: ToolChoiceInput): ChatCompletionRequest
} = dual(2, (self: ChatCompletionRequest, choice: ToolChoiceInput): ChatCompletionRequest => ({
  ...self,
  tool_choice: typeof choice === "object" && typeof choice.function === "string"
    ? { type: "function", function: { name: choice.function } }
    : choice as Schema.Schema.Type<typeof ToolChoice>
}))
