/**
 * `/v1/files` and `/v1/storage`: the file object, the list page (the spec's camelCase `hasMore` / `firstId` /
 * `lastId` and OpenAI's snake_case both decode, to snake_case), the deletion status, and the strict upload and
 * list parameters. Files hold Batch API input and output; storage holds documents for later use (`tika_ocr`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { intRange, NonEmptyString, type Open, strictStruct } from "./internal/strict.js"
import { field, opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * A file purpose. The spec lists only `batch` for uploads but other values in responses; any string is accepted.
 *
 * @since 0.1.0
 * @category models
 */
export type FilePurpose = Open<
  | "batch"
  | "batch_output"
  | "assistants"
  | "assistants_output"
  | "fine-tune"
  | "fine-tune-results"
  | "vision"
  | "user_data"
  | "evals"
>

/**
 * A file as `/v1/files` and `/v1/storage` describe it. Every field may be missing on the wire; unknown fields are
 * kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileObject = wireStruct({
  id: withDefault(Schema.String, () => ""),
  object: withDefault(Schema.String, () => "file"),
  bytes: opt(Schema.Number),
  created_at: opt(Schema.Number),
  expires_at: opt(Schema.Number),
  filename: opt(Schema.String),
  purpose: opt(Schema.String as Schema.Schema<FilePurpose, string>),
  status: opt(Schema.String),
  status_details: opt(Schema.Unknown)
}).annotations({ identifier: "FileObject" })

/**
 * @since 0.1.0
 * @category models
 */
export interface FileObject extends Schema.Schema.Type<typeof FileObject> {}

const ListWire = wireStruct({
  object: withDefault(Schema.String, () => "list"),
  data: withDefault(Schema.Array(FileObject), () => []),
  has_more: opt(Schema.Boolean),
  hasMore: opt(Schema.Boolean),
  first_id: opt(Schema.String),
  firstId: opt(Schema.String),
  last_id: opt(Schema.String),
  lastId: opt(Schema.String)
})

const ListNormal = wireStruct({
  object: Schema.String,
  data: Schema.Array(FileObject),
  has_more: Schema.Boolean,
  first_id: opt(Schema.String),
  last_id: opt(Schema.String)
})

/**
 * Reads a list envelope with either spelling of its paging fields and gives the snake_case one. A missing
 * `has_more` means no more pages.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizePage = <
  W extends {
    readonly has_more?: boolean | undefined
    readonly hasMore?: boolean | undefined
    readonly first_id?: string | undefined
    readonly firstId?: string | undefined
    readonly last_id?: string | undefined
    readonly lastId?: string | undefined
  }
>(wire: W) => {
  const { first_id, firstId, has_more, hasMore, last_id, lastId, ...rest } = wire
  const first = first_id ?? firstId
  const last = last_id ?? lastId
  return {
    ...rest,
    has_more: has_more ?? hasMore ?? false,
    ...(first === undefined ? {} : { first_id: first }),
    ...(last === undefined ? {} : { last_id: last })
  }
}

/**
 * A page of files: `{ object, data, has_more, first_id?, last_id? }`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileList = Schema.transform(ListWire, ListNormal, {
  strict: false,
  decode: normalizePage,
  encode: (normal) => normal
}).annotations({ identifier: "FileList" })

/**
 * @since 0.1.0
 * @category models
 */
export interface FileList extends Schema.Schema.Type<typeof FileList> {}

/**
 * The answer to a delete: `{ id, object?, deleted }` (storage leaves out `object`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileDeleted = wireStruct({
  id: withDefault(Schema.String, () => ""),
  object: opt(Schema.String),
  deleted: Schema.Boolean
}).annotations({ identifier: "FileDeleted" })

/**
 * @since 0.1.0
 * @category models
 */
export interface FileDeleted extends Schema.Schema.Type<typeof FileDeleted> {}

/**
 * The parameters of an upload besides the file: `purpose` (default `batch`, the only value the spec lists).
 *
 * @since 0.1.0
 * @category schemas
 */
export const UploadParams = strictStruct({
  purpose: field(NonEmptyString as Schema.Schema<FilePurpose, string>)
}, "UploadParams")

/**
 * @since 0.1.0
 * @category models
 */
export interface UploadParams extends Schema.Schema.Type<typeof UploadParams> {}

/**
 * The query of a list call: `after` (a file id cursor), `limit` (1 to 10 000), `order` by creation time, `purpose`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListQuery = strictStruct({
  after: field(NonEmptyString),
  limit: field(intRange(1, 10_000)),
  order: field(Schema.Literal("asc", "desc")),
  purpose: field(NonEmptyString as Schema.Schema<FilePurpose, string>)
}, "FileListQuery")

/**
 * @since 0.1.0
 * @category models
 */
export interface ListQuery extends Schema.Schema.Type<typeof ListQuery> {}

/**
 * The query as URL parameters (unset fields left out).
 *
 * @since 0.1.0
 * @category utils
 */
export const queryParams = (query: ListQuery): Record<string, string> => {
  const out: Record<string, string> = {}
  if (query.after !== undefined) out.after = query.after
  if (query.limit !== undefined) out.limit = String(query.limit)
  if (query.order !== undefined) out.order = query.order
  if (query.purpose !== undefined) out.purpose = query.purpose
  return out
}
