import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Agents from "@nexos-effect/schema/Agents"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as NexosClient from "../NexosClient.js"
import type * as NexosError from "../NexosError.js"
import * as Endpoint from "./endpoint.js"
import * as Transport from "./transport.js"

/** `/v1/agents`. */
export interface Service {
  /** One page of agents. */
  readonly list: (
    query?: Agents.ListQuery,
    options?: NexosClient.RequestOptions
  ) => Effect.Effect<Agents.AgentList, NexosError.NexosError>
  /** Every agent, page after page (by `offset`) as the stream is pulled. */
  readonly stream: (
    query?: Agents.ListQuery,
    options?: NexosClient.RequestOptions
  ) => Stream.Stream<Agents.Agent, NexosError.NexosError>
}

const validate = Endpoint.validator(Agents.ListQuery, "agent list query")

export const make = (ctx: Endpoint.Context): Service => {
  const read = Endpoint.readJson(ctx.config, Agents.AgentList)
  const list = (query: Agents.ListQuery = {}, options?: NexosClient.RequestOptions) =>
    Either.match(validate(query), {
      onLeft: (error) => Effect.fail(error),
      onRight: (valid) =>
        ctx.execute(
          (overrides) =>
            HttpClientRequest.appendUrlParams(
              Transport.buildRequest(ctx.config, "GET", "/agents", undefined, overrides),
              Agents.queryParams(valid)
            ),
          options,
          read
        )
    }).pipe(Endpoint.span("agents.list"))
  const stream = (query: Agents.ListQuery = {}, options?: NexosClient.RequestOptions) =>
    Stream.paginateChunkEffect(
      query.offset ?? 0,
      (offset) =>
        Effect.map(list({ ...query, offset }, options), (page) => {
          const next = offset + page.data.length
          const more = page.data.length > 0 &&
            (page.total !== undefined ? next < page.total : page.data.length >= (query.limit ?? 100))
          return [Chunk.fromIterable(page.data), more ? Option.some(next) : Option.none()] as const
        })
    )
  return { list, stream }
}
