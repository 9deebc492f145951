/**
 * `Batch.Store` on PostgreSQL (or any `@effect/sql` client): finished keys of one batch are rows of the results
 * table, keyed by batch id and key, with the full result as JSON. Use it with `Batch.run` in one process to make a
 * batch resumable from a database instead of a JSONL file; `BatchJob` runners use the same table.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Batch from "@nexos-effect/client/Batch"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ResultCodec from "./internal/resultCodec.js"
import * as ResultsTable from "./internal/resultsTable.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  readonly batchId: string
  /** The results table (default `nexos_batch_results`), created when missing. */
  readonly table?: string | undefined
}

/**
 * The store of one batch. `record` writes each finished key's full result; a key that already has a result keeps
 * the first one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Batch.StoreService, Batch.StoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const table = yield* ResultsTable.make(options.table)
    yield* table.ensure.pipe(storeError("create the results table"))
    return fromTable(table, options.batchId)
  })

/**
 * The store of one batch as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Batch.Store, Batch.StoreError, SqlClient.SqlClient> =>
  Layer.effect(Batch.Store, make(options))

/** @internal */
export const fromTable = (table: ResultsTable.ResultsTable, batchId: string): Batch.StoreService => ({
  lookup: (keys) =>
    table.read(batchId, keys).pipe(
      Effect.map((rows) =>
        new Map(rows.map((row) => [row.key, {
          key: row.key,
          status: row.status,
          retryable: row.retryable,
          ...(row.errorTag === undefined ? {} : { error: row.errorTag })
        }]))
      ),
      storeError("read finished keys")
    ),
  record: (results) =>
    Effect.suspend(() => {
      const rows: Array<ResultsTable.Finished> = []
      for (const result of results) {
        const recorded = Batch.toRecorded(result)
        if (recorded === undefined) continue
        rows.push({
          key: result.key,
          status: recorded.status,
          retryable: recorded.retryable,
          errorTag: recorded.error,
          result: ResultCodec.encode(result as Batch.Result<ChatCompletion.ChatCompletion>)
        })
      }
      return table.finish(batchId, rows).pipe(storeError("record results"))
    })
})

const storeError = (what: string) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.mapError(self, (cause) => new Batch.StoreError({ message: `PostgreSQL store: could not ${what}`, cause }))
