#!/usr/bin/env node
/**
 * A batch runner process: `nexos-cluster-runner`. Configured by environment variables: `NEXOS_PG_URL` (the
 * PostgreSQL that holds the cluster's state and the results), `NEXOS_API_KEY` / `NEXOS_BASE_URL` (the gateway),
 * `NEXOS_RUNNER_PORT` (default 34431), `NEXOS_RUNNER_HOST` (default 127.0.0.1), `NEXOS_JOB` (default `batch`),
 * `NEXOS_CHUNK_SIZE` (default 50, the same as the client's) and `NEXOS_RUNNER_CONCURRENCY` (default 32).
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BatchJob from "../BatchJob.js"

const runner = Layer.unwrapEffect(Effect.gen(function*() {
  const job = BatchJob.make({
    name: yield* Config.string("NEXOS_JOB").pipe(Config.withDefault("batch")),
    chunkSize: yield* Config.integer("NEXOS_CHUNK_SIZE").pipe(Config.withDefault(50))
  })
  const port = yield* Config.port("NEXOS_RUNNER_PORT").pipe(Config.withDefault(34431))
  const host = yield* Config.string("NEXOS_RUNNER_HOST").pipe(Config.withDefault("127.0.0.1"))
  const concurrency = yield* Config.integer("NEXOS_RUNNER_CONCURRENCY").pipe(Config.withDefault(32))
  yield* Effect.logInfo(
    `runner ${host}:${port} for job ${job.name} (chunks of ${job.chunkSize}, ${concurrency} in flight)`
  )
  return BatchJob.runnerLayer(job, { host, port, concurrency })
}))

runner.pipe(
  Layer.provide(NexosClient.layerConfig()),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.provide(PgClient.layerConfig({ url: Config.redacted("NEXOS_PG_URL") })),
  Layer.launch,
  NodeRuntime.runMain
)
