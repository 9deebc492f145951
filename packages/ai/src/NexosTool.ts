/**
 * The nexos gateway's own tools as `@effect/ai` provider-defined tools: `web_search`, `rag` and `tika_ocr` run on
 * the gateway (no handler), so they join a `Toolkit` next to your own tools and the model uses them in the same
 * call. Their arguments are typed and checked with the request schema's rules (a `web_search` MCP whose tool does
 * not fit its type, an empty `collection_uuid` or `file_id`): `NexosLanguageModel` and `ToolLoop` put them in the
 * request as the API expects (`{ "type": "rag", "rag": { "mcp": { ... } } }`) and the client rejects a bad one
 * with `InvalidRequest` naming the field before anything is sent.
 *
 * @since 0.1.0
 */
import * as Tool from "@effect/ai/Tool"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
const NonEmptyString = Schema.String.pipe(Schema.filter((s) => s.length > 0, { message: () => "must not be empty" }))
const Int = Schema.Number.pipe(
  Schema.filter(Number.isInteger, { message: (i) => `must be an integer, got ${i.actual}` })
)

/**
 * The nexos `web_search` tool: the gateway searches the web and the answer carries `url_citation` annotations
 * (`source` parts in `@effect/ai`). Every argument is optional: `NexosTool.WebSearch({})` is the plain tool.
 *
 * @since 0.1.0
 * @category tools
 */
export const WebSearch = Tool.providerDefined({
  id: "nexos.web_search",
  toolkitName: "NexosWebSearch",
  providerName: "web_search",
  args: {
    search_context_size: opt(Schema.Literal("low", "medium", "high")),
    user_location: opt(ChatCompletionRequest.UserLocation),
    mcp: opt(ChatCompletionRequest.WebSearchMcp)
  }
})

/**
 * The nexos `rag` tool: the gateway searches a knowledge collection and answers from what it found.
 *
 * @since 0.1.0
 * @category tools
 */
export const Rag = Tool.providerDefined({
  id: "nexos.rag",
  toolkitName: "NexosRag",
  providerName: "rag",
  args: {
    collection_uuid: NonEmptyString,
    query: opt(Schema.String),
    threshold: opt(Schema.Number),
    top_n: opt(Int),
    model_uuid: opt(Schema.String)
  }
})

/**
 * The nexos `tika_ocr` tool: the gateway extracts the text of a file uploaded to `/v1/storage`.
 *
 * @since 0.1.0
 * @category tools
 */
export const TikaOcr = Tool.providerDefined({
  id: "nexos.tika_ocr",
  toolkitName: "NexosTikaOcr",
  providerName: "tika_ocr",
  args: { file_id: NonEmptyString }
})

/**
 * The ids of the nexos provider-defined tools.
 *
 * @since 0.1.0
 * @category models
 */
export type Id = "nexos.web_search" | "nexos.rag" | "nexos.tika_ocr"

/**
 * A tool argument that breaks the request schema's rules.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidToolArgs extends Schema.TaggedError<InvalidToolArgs>()("InvalidToolArgs", {
  message: Schema.String,
  tool: Schema.String,
  issues: Schema.Array(Schema.Struct({ path: Schema.String, message: Schema.String }))
}) {}

/**
 * The request tool for a nexos provider-defined tool, exactly as the API expects it, after checking its arguments
 * with the request schema (`undefined` for a tool that is not a nexos one).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toRequestTool = (tool: Tool.Any): ChatCompletionRequest.Tool | InvalidToolArgs | undefined => {
  if (!Tool.isProviderDefined(tool)) return undefined
  const args = (tool as unknown as { readonly args: unknown }).args as Record<string, unknown>
  switch (tool.id) {
    case "nexos.web_search":
      return check(
        tool.name,
        validateWebSearch,
        Object.keys(args).length === 0 ? { type: "web_search" } : { type: "web_search", web_search: args }
      )
    case "nexos.rag":
      return check(tool.name, validateRag, { type: "rag", rag: { mcp: args } })
    case "nexos.tika_ocr":
      return check(tool.name, validateTikaOcr, { type: "tika_ocr", tika_ocr: args })
    default:
      return undefined
  }
}

const validate = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.validateEither(schema, { errors: "all", onExcessProperty: "error" }) as (
    u: unknown
  ) => Either.Either<unknown, ParseResult.ParseError>
const validateWebSearch = validate(ChatCompletionRequest.WebSearchTool)
const validateRag = validate(ChatCompletionRequest.RagTool)
const validateTikaOcr = validate(ChatCompletionRequest.TikaOcrTool)

const check = (
  name: string,
  validateWire: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>,
  wire: object
): ChatCompletionRequest.Tool | InvalidToolArgs => {
  const result = validateWire(wire)
  if (Either.isRight(result)) return wire as ChatCompletionRequest.Tool
  const issues = ChatCompletionRequest.issuesOf(result.left)
  return new InvalidToolArgs({
    message: `Invalid arguments for the ${name} tool: ${ChatCompletionRequest.formatIssues(issues)}`,
    tool: name,
    issues
  })
}
