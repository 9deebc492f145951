/**
 * Tool calls made by the assistant: a function name and its arguments as JSON text. `arguments` is what the model
 * wrote; validate it before executing anything.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { wireStruct, withDefault } from "./internal/wire.js"

/**
 * Tool-call arguments as JSON text. Some providers send an object instead of a string; it is kept as its JSON text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ArgumentsText = Schema.transform(
  Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  Schema.String,
  { strict: true, decode: (a) => (typeof a === "string" ? a : JSON.stringify(a)), encode: (s) => s }
)

/**
 * The function part of a tool call.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FunctionCall = wireStruct({
  name: withDefault(Schema.String, () => ""),
  arguments: withDefault(ArgumentsText, () => "")
})

/**
 * @since 0.1.0
 * @category models
 */
export interface FunctionCall extends Schema.Schema.Type<typeof FunctionCall> {}

/**
 * A complete tool call. `id` may be `""` for providers that send none; `type` is `"function"`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolCall = wireStruct({
  id: withDefault(Schema.String, () => ""),
  type: withDefault(Schema.String, () => "function"),
  function: withDefault(FunctionCall, () => ({ name: "", arguments: "" }))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolCall extends Schema.Schema.Type<typeof ToolCall> {}
