/**
 * URL citations attached to assistant messages (for example by the `web_search` tool). Every field is optional on
 * the wire; `start_index` / `end_index` point into the message content.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { opt, wireStruct } from "./internal/wire.js"

/**
 * The citation object inside a `url_citation` annotation.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UrlCitation = wireStruct({
  start_index: opt(Schema.Number),
  end_index: opt(Schema.Number),
  title: opt(Schema.String),
  url: opt(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface UrlCitation extends Schema.Schema.Type<typeof UrlCitation> {}

/**
 * One message annotation; `type` is `"url_citation"` for citations.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Annotation = wireStruct({
  type: opt(Schema.String),
  url_citation: opt(UrlCitation)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Annotation extends Schema.Schema.Type<typeof Annotation> {}

/**
 * A stable key for deduplicating citations (url, title and indices).
 *
 * @since 0.1.0
 * @category utils
 */
export const key = (annotation: Annotation): string => {
  const c = annotation.url_citation
  return c === undefined
    ? ""
    : `${c.url ?? ""}\u0000${c.title ?? ""}\u0000${c.start_index ?? ""}\u0000${c.end_index ?? ""}`
}
