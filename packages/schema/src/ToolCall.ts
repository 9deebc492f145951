/**
 * Tool calls made by the assistant: a function name and its arguments as JSON text. `arguments` is what the model
 * wrote; validate it before executing anything.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { wireStruct, withDefault } from "./internal/wire.js"

/**
 * The function part of a tool call.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FunctionCall = wireStruct({
  name: withDefault(Schema.String, () => ""),
  arguments: withDefault(Schema.String, () => "")
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
  function: FunctionCall
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolCall extends Schema.Schema.Type<typeof ToolCall> {}
