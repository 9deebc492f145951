/**
 * Content parts as providers return them when `content` is an array instead of a string (for example Mistral's
 * `text` and `thinking` parts). Unknown part types are kept as they came.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * A response content part (`type` defaults to `"text"`): `type` plus whatever the provider sent (`text`, `thinking`, `refusal`, ...).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContentPart = wireStruct({
  type: withDefault(Schema.String, () => "text"),
  text: opt(Schema.String),
  refusal: opt(Schema.String),
  thinking: opt(Schema.Unknown)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ContentPart extends Schema.Schema.Type<typeof ContentPart> {}

/**
 * Message content: a string or an array of parts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Content = Schema.Union(Schema.String, Schema.Array(ContentPart))

/**
 * @since 0.1.0
 * @category models
 */
export type Content = Schema.Schema.Type<typeof Content>

const thinkingText = (thinking: unknown): string => {
  if (typeof thinking === "string") return thinking
  if (Array.isArray(thinking)) return thinking.map(thinkingText).join("")
  if (typeof thinking === "object" && thinking !== null) {
    const part = thinking as { text?: unknown; thinking?: unknown }
    if (typeof part.text === "string") return part.text
    if (part.thinking !== undefined) return thinkingText(part.thinking)
  }
  return ""
}

/**
 * The answer text of some content: the string itself, or the concatenated `text` parts.
 *
 * @since 0.1.0
 * @category utils
 */
export const text = (content: Content | undefined): string => {
  if (content === undefined) return ""
  if (typeof content === "string") return content
  let out = ""
  for (const part of content) if (part.type === "text" && part.text !== undefined) out += part.text
  return out
}

/**
 * The reasoning text carried in content parts (`thinking` / `reasoning` parts), concatenated.
 *
 * @since 0.1.0
 * @category utils
 */
export const reasoning = (content: Content | undefined): string => {
  if (content === undefined || typeof content === "string") return ""
  let out = ""
  for (const part of content) {
    if (part.type === "thinking") out += thinkingText(part.thinking ?? part.text)
    else if (part.type === "reasoning" && part.text !== undefined) out += part.text
  }
  return out
}
