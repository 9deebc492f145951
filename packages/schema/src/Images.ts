/**
 * `POST /v1/images/generations`: the strict request (the spec has no edits or variations) and the OpenAI-shaped
 * answer (its envelope is missing from the spec): each image as a `url` or as `b64_json`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { intRange, NonEmptyString, strictStruct } from "./internal/strict.js"
import { field, opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * The body of `POST /v1/images/generations`: `n` is 1 to 10.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImageGenerationRequest = strictStruct({
  prompt: NonEmptyString,
  model: NonEmptyString,
  n: field(intRange(1, 10)),
  quality: field(Schema.Literal("standard", "hd")),
  response_format: field(Schema.Literal("url", "b64_json")),
  size: field(Schema.Literal("256x256", "512x512", "1024x1024", "1792x1024", "1024x1792")),
  style: field(Schema.Literal("vivid", "natural"))
}, "ImageGenerationRequest")

/**
 * @since 0.1.0
 * @category models
 */
export interface ImageGenerationRequest extends Schema.Schema.Type<typeof ImageGenerationRequest> {}

/**
 * One generated image: a `url` (default) or the image as base64 (`b64_json`), and the prompt the model used.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Image = wireStruct({
  url: opt(Schema.String),
  b64_json: opt(Schema.String),
  revised_prompt: opt(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Image extends Schema.Schema.Type<typeof Image> {}

/**
 * The answer: `{ created, data }`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImagesResponse = wireStruct({
  created: withDefault(Schema.Number, () => 0),
  data: withDefault(Schema.Array(Image), () => [])
}).annotations({ identifier: "ImagesResponse" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ImagesResponse extends Schema.Schema.Type<typeof ImagesResponse> {}

/**
 * The bytes of an image given as `b64_json` (`undefined` for a `url` image).
 *
 * @since 0.1.0
 * @category utils
 */
export const bytes = (image: Image): Uint8Array | undefined => {
  if (image.b64_json === undefined) return undefined
  const binary = globalThis.atob(image.b64_json)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
