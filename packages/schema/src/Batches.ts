/**
 * The gateway's Batch API (`/v1/batches`): the strict create request, the batch object and its list page (decoded
 * leniently), and the JSONL line formats of the input, output and error files (OpenAI's, which the gateway follows:
 * nexos does not specify them). The spec's endpoint enum offers `/v1/completions`, which the gateway does not
 * expose: a request for it is rejected before sending.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { normalizePage } from "./Files.js"
import { intRange, NonEmptyString, type Open, strictStruct } from "./internal/strict.js"
import { field, opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * A batch's status. `failed`, `completed`, `expired` and `cancelled` are final.
 *
 * @since 0.1.0
 * @category models
 */
export type BatchStatus = Open<
  "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled"
>

const terminal: ReadonlySet<string> = new Set(["failed", "completed", "expired", "cancelled"])

/**
 * Whether a status is final (the batch will not change any more).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTerminal = (status: BatchStatus): boolean => terminal.has(status)

/**
 * The endpoints a batch can run: chat completions and embeddings.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BatchEndpoint = Schema.String.pipe(
  Schema.filter(
    (s): s is "/v1/chat/completions" | "/v1/embeddings" => s === "/v1/chat/completions" || s === "/v1/embeddings",
    {
      message: (issue) =>
        issue.actual === "/v1/completions"
          ? "must be /v1/chat/completions or /v1/embeddings (the spec lists /v1/completions, which the gateway does " +
            "not expose)"
          : `must be /v1/chat/completions or /v1/embeddings, got ${JSON.stringify(issue.actual)}`
    }
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type BatchEndpoint = Schema.Schema.Type<typeof BatchEndpoint>

const Metadata = Schema.Record({ key: Schema.String, value: Schema.String }).pipe(
  Schema.filter((m) => {
    const keys = Object.keys(m)
    if (keys.length > 16) return `must have at most 16 pairs, got ${keys.length}`
    for (const key of keys) {
      if (key.length > 64) return `key ${JSON.stringify(key.slice(0, 20))}… is longer than 64 characters`
      if (m[key]!.length > 512) return `the value of ${JSON.stringify(key)} is longer than 512 characters`
    }
    return undefined
  })
)

/**
 * The body of `POST /v1/batches`. `completion_window` is `24h`, the only value (the client sends it when unset).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateBatchRequest = strictStruct({
  input_file_id: NonEmptyString,
  endpoint: BatchEndpoint,
  completion_window: field(Schema.Literal("24h")),
  metadata: field(Metadata)
}, "CreateBatchRequest")

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateBatchRequest extends Schema.Schema.Type<typeof CreateBatchRequest> {}

/**
 * How many requests a batch has, and how many have finished or failed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RequestCounts = wireStruct({
  total: withDefault(Schema.Number, () => 0),
  completed: withDefault(Schema.Number, () => 0),
  failed: withDefault(Schema.Number, () => 0)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestCounts extends Schema.Schema.Type<typeof RequestCounts> {}

/**
 * A validation error of a batch (a line of the input file that is not a valid request).
 *
 * @since 0.1.0
 * @category schemas
 */
export const BatchError = wireStruct({
  code: opt(Schema.Union(Schema.String, Schema.Number)),
  message: opt(Schema.String),
  param: opt(Schema.String),
  line: opt(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface BatchError extends Schema.Schema.Type<typeof BatchError> {}

/**
 * A batch.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Batch = wireStruct({
  id: Schema.String,
  object: withDefault(Schema.String, () => "batch"),
  endpoint: withDefault(Schema.String, () => ""),
  input_file_id: withDefault(Schema.String, () => ""),
  completion_window: withDefault(Schema.String, () => "24h"),
  status: Schema.String as Schema.Schema<BatchStatus, string>,
  created_at: withDefault(Schema.Number, () => 0),
  request_counts: opt(RequestCounts),
  errors: opt(wireStruct({
    object: opt(Schema.String),
    data: withDefault(Schema.Array(BatchError), () => [])
  })),
  output_file_id: opt(Schema.String),
  error_file_id: opt(Schema.String),
  in_progress_at: opt(Schema.Number),
  expires_at: opt(Schema.Number),
  finalizing_at: opt(Schema.Number),
  completed_at: opt(Schema.Number),
  failed_at: opt(Schema.Number),
  expired_at: opt(Schema.Number),
  cancelling_at: opt(Schema.Number),
  cancelled_at: opt(Schema.Number),
  metadata: opt(Schema.Record({ key: Schema.String, value: Schema.String }))
}).annotations({ identifier: "Batch" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Batch extends Schema.Schema.Type<typeof Batch> {}

/**
 * A page of batches: `{ object, data, has_more, first_id?, last_id? }` (either spelling of the paging fields
 * decodes).
 *
 * @since 0.1.0
 * @category schemas
 */
export const BatchList = Schema.transform(
  wireStruct({
    object: withDefault(Schema.String, () => "list"),
    data: withDefault(Schema.Array(Batch), () => []),
    has_more: opt(Schema.Boolean),
    hasMore: opt(Schema.Boolean),
    first_id: opt(Schema.String),
    firstId: opt(Schema.String),
    last_id: opt(Schema.String),
    lastId: opt(Schema.String)
  }),
  wireStruct({
    object: Schema.String,
    data: Schema.Array(Batch),
    has_more: Schema.Boolean,
    first_id: opt(Schema.String),
    last_id: opt(Schema.String)
  }),
  { strict: false, decode: normalizePage, encode: (normal) => normal }
).annotations({ identifier: "BatchList" })

/**
 * @since 0.1.0
 * @category models
 */
export interface BatchList extends Schema.Schema.Type<typeof BatchList> {}

/**
 * The query of `GET /v1/batches`: `after` (a batch id cursor) and `limit` (1 to 100).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListQuery = strictStruct({
  after: field(NonEmptyString),
  limit: field(intRange(1, 100))
}, "BatchListQuery")

/**
 * @since 0.1.0
 * @category models
 */
export interface ListQuery extends Schema.Schema.Type<typeof ListQuery> {}

/**
 * One line of a batch input file: `{ custom_id, method: "POST", url, body }`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InputLine = strictStruct({
  custom_id: NonEmptyString,
  method: Schema.Literal("POST"),
  url: BatchEndpoint,
  body: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}, "BatchInputLine")

/**
 * @since 0.1.0
 * @category models
 */
export interface InputLine extends Schema.Schema.Type<typeof InputLine> {}

/**
 * One line of a batch output or error file: the request's `custom_id` and either its `response` (HTTP status,
 * request id and body: a completion, or an error body for a failed request) or an `error` (a request that never
 * ran, e.g. when the batch expired).
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutputLine = wireStruct({
  id: opt(Schema.String),
  custom_id: withDefault(Schema.String, () => ""),
  response: opt(wireStruct({
    status_code: withDefault(Schema.Number, () => 0),
    request_id: opt(Schema.String),
    body: opt(Schema.Unknown)
  })),
  error: opt(wireStruct({
    code: opt(Schema.Union(Schema.String, Schema.Number)),
    message: opt(Schema.String)
  }))
}).annotations({ identifier: "BatchOutputLine" })

/**
 * @since 0.1.0
 * @category models
 */
export interface OutputLine extends Schema.Schema.Type<typeof OutputLine> {}
