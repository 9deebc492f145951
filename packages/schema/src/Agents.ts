/**
 * `GET /v1/agents` (formerly `/v1/assistants`): the agents the caller can use. An agent's id can be sent as a chat
 * completion's `model`. The list envelope is missing from the spec: an array, `{ data }`, `{ agents }` and
 * `{ items }` all decode (with `total` when given).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { intRange, strictStruct } from "./internal/strict.js"
import { field, opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * An agent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Agent = wireStruct({
  id: Schema.String,
  name: withDefault(Schema.String, () => ""),
  description: opt(Schema.String),
  instructions: opt(Schema.String),
  model: withDefault(Schema.String, () => ""),
  created_at: opt(Schema.String)
}).annotations({ identifier: "Agent" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Agent extends Schema.Schema.Type<typeof Agent> {}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * A page of agents: `{ data, total? }`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentList = Schema.compose(
  Schema.transform(Schema.Unknown, Schema.Unknown, {
    strict: true,
    decode: (u) => {
      if (Array.isArray(u)) return { data: u }
      if (!isRecord(u)) return u
      const list = [u.data, u.agents, u.items, u.assistants].find(Array.isArray)
      return list === undefined ? u : { ...u, data: list }
    },
    encode: (u) => u
  }),
  wireStruct({ data: Schema.Array(Agent), total: opt(Schema.Number) }),
  { strict: false }
).annotations({ identifier: "AgentList" })

/**
 * @since 0.1.0
 * @category models
 */
export type AgentList = Schema.Schema.Type<typeof AgentList>

/**
 * The query: `limit` (1 to 200), `offset`, `sort_by` (field and order together), `include_shared`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListQuery = strictStruct({
  limit: field(intRange(1, 200)),
  offset: field(intRange(0, Number.MAX_SAFE_INTEGER)),
  sort_by: field(strictStruct({
    field: Schema.Literal("name", "created_at"),
    order: Schema.Literal("asc", "desc")
  })),
  include_shared: field(Schema.Boolean)
}, "AgentListQuery")

/**
 * @since 0.1.0
 * @category models
 */
export interface ListQuery extends Schema.Schema.Type<typeof ListQuery> {}

/**
 * The query as URL parameters (`sort_by.field`, `sort_by.order`).
 *
 * @since 0.1.0
 * @category utils
 */
export const queryParams = (query: ListQuery): Record<string, string> => {
  const out: Record<string, string> = {}
  if (query.limit !== undefined) out.limit = String(query.limit)
  if (query.offset !== undefined) out.offset = String(query.offset)
  if (query.sort_by !== undefined) {
    out["sort_by.field"] = query.sort_by.field
    out["sort_by.order"] = query.sort_by.order
  }
  if (query.include_shared !== undefined) out.include_shared = String(query.include_shared)
  return out
}
