/**
 * The body of `POST /v1/chat/completions`: messages by role, content parts, tools (function and the nexos tools
 * `web_search`, `rag`, `tika_ocr`), tool_choice, response_format and every sampling option of the API reference.
 * Outgoing validation is strict: a request the API would reject for its shape fails with an issue that names the
 * field, unknown fields are rejected (send vendor fields through the client's `extraBody`), unset fields are not sent.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
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
export const ImagePart = obj({
  type: Schema.Literal("image_url"),
  image_url: obj({ url: NonEmptyString, detail: field(Schema.Literal("auto", "low", "high")) })
}, "ImagePart")

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
export const RefusalPart = obj({ type: Schema.Literal("refusal"), refusal: Schema.String }, "RefusalPart")

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
export const SystemMessage = obj(
  { role: Schema.Literal("system"), content: TextContent, name: field(Schema.String) },
  "SystemMessage"
)

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
      m.function_call != null || m.refusal != null || {
        path: ["content"],
        message: "an assistant message needs content unless it has tool_calls or function_call"
      },
    { identifier: "AssistantMessage" }
  )
)

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
  thinking: field(obj({ type: field(Schema.String), budget_tokens: field(Int) })),
  reasoning_effort: field(Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh", "max")),
  verbosity: field(Schema.Literal("low", "medium", "high"))
}

/**
 * The request body. Cross-field rules: `top_logprobs` needs `logprobs: true`, `stream_options` needs
 * `stream: true`, and `audio` is required when `modalities` includes `"audio"`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatCompletionRequest = obj(Fields, "ChatCompletionRequest").pipe(
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
    .map((issue) => ({ path: formatPath(issue.path), message: issue.message }))
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
