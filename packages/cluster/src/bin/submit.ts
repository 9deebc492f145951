#!/usr/bin/env node
/**
 * Submits a JSONL batch to the cluster: `nexos-cluster-submit INPUT.jsonl OUTPUT.jsonl [BATCH_ID]`. The input is
 * what `Batch.runFile` reads (the OpenAI batch input format; chat completions); the output is the OpenAI batch
 * output format, one line per key, rewritten from the results table on every run. The batch id defaults to the
 * input file's name: run the same command again to re-attach (after a crash of the client, or to read the results
 * again) without sending anything that finished. Malformed lines become error lines naming their line number.
 * Environment: `NEXOS_PG_URL`, `NEXOS_JOB` (default `batch`), `NEXOS_CHUNK_SIZE` (default 50, as the runners').
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as FileSystem from "@effect/platform/FileSystem"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosError from "@nexos-effect/client/NexosError"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Path from "node:path"
import * as BatchJob from "../BatchJob.js"

const [input, output, batchIdArg] = process.argv.slice(2)

const program = Effect.gen(function*() {
  if (input === undefined || output === undefined) {
    return yield* Effect.fail(new Error("usage: nexos-cluster-submit INPUT.jsonl OUTPUT.jsonl [BATCH_ID]"))
  }
  const job = BatchJob.make({
    name: yield* Config.string("NEXOS_JOB").pipe(Config.withDefault("batch")),
    chunkSize: yield* Config.integer("NEXOS_CHUNK_SIZE").pipe(Config.withDefault(50))
  })
  const batchId = batchIdArg ?? Path.basename(input)
  const fs = yield* FileSystem.FileSystem
  const sink = yield* fs.open(output, { flag: "w" })
  const write = (line: string | undefined) =>
    line === undefined ? Effect.void : sink.writeAll(new TextEncoder().encode(`${line}\n`))
  const counts = { succeeded: 0, failed: 0, notDone: 0 }
  const emit = (result: Batch.Result<unknown>) => {
    if (result.outcome._tag === "Succeeded") counts.succeeded++
    else if (result.outcome._tag === "Failed") counts.failed++
    else counts.notDone++
    return write(Batch.toOutputLine(result))
  }
  const rejection = (line: Batch.InputLine): NexosError.InvalidRequest | undefined =>
    line.rejected ?? ("messages" in line.request ? undefined : new NexosError.InvalidRequest({
      message: `${line.key}: the cluster runs chat completions only; run embeddings with Batch.runFile`,
      issues: []
    }))
  yield* Batch.readInput(input).pipe(Stream.runForEach((line) => {
    const error = rejection(line)
    return error === undefined
      ? Effect.void
      : emit({ key: line.key, index: line.index, outcome: { _tag: "Failed", error }, attempts: 0 })
  }))
  const total = yield* Batch.readInput(input).pipe(
    Stream.filter((line) => rejection(line) === undefined),
    Stream.runCount
  )
  const progress = yield* SubscriptionRef.make<Batch.Progress>({ ...Batch.emptyProgress, total })
  const bar = yield* Effect.fork(Batch.progressBar(progress, { label: `${batchId} on ${job.name}` }))
  const items = Batch.readInput(input).pipe(
    Stream.filter((line) => rejection(line) === undefined),
    Stream.map((line): BatchJob.Item => ({ key: line.key, request: line.request as BatchJob.Item["request"] }))
  )
  yield* BatchJob.run(job, items, { batchId, progress, total }).pipe(Stream.runForEach(emit))
  yield* bar.await
  yield* Console.log(
    `${batchId}: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.notDone} not done -> ${output}`
  )
  if (counts.failed > 0 || counts.notDone > 0) process.exitCode = 1
})

program.pipe(
  Effect.scoped,
  Effect.provide(Layer.mergeAll(
    BatchJob.clientLayer().pipe(Layer.provideMerge(PgClient.layerConfig({ url: Config.redacted("NEXOS_PG_URL") }))),
    NodeFileSystem.layer
  )),
  NodeRuntime.runMain
)
