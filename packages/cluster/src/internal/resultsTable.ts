import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"

/** The default table that holds one row per batch key. */
export const defaultTable = "nexos_batch_results"

/** A finished key as the table holds it. */
export interface Row {
  readonly key: string
  readonly status: "succeeded" | "failed"
  readonly retryable: boolean
  readonly errorTag: string | undefined
  readonly result: unknown
  readonly sends: number
}

/** What `finish` writes for a key. */
export interface Finished {
  readonly key: string
  readonly status: "succeeded" | "failed"
  readonly retryable: boolean
  readonly errorTag: string | undefined
  readonly result: unknown
}

export interface ResultsTable {
  readonly ensure: Effect.Effect<void, SqlError.SqlError>
  /** Marks a key as sent (once more when a replay sends it again); true when it had been sent before. */
  readonly markSent: (batchId: string, key: string, runner: string) => Effect.Effect<boolean, SqlError.SqlError>
  /** Records results of keys that have none yet (the first writer wins). */
  readonly finish: (batchId: string, rows: ReadonlyArray<Finished>) => Effect.Effect<void, SqlError.SqlError>
  /** The finished keys among `keys`. */
  readonly read: (batchId: string, keys: ReadonlyArray<string>) => Effect.Effect<Array<Row>, SqlError.SqlError>
  readonly summary: (batchId: string) => Effect.Effect<Summary, SqlError.SqlError>
  readonly purge: (batchId: string) => Effect.Effect<number, SqlError.SqlError>
}

/** Counts over a batch's rows. */
export interface Summary {
  readonly succeeded: number
  readonly failed: number
  readonly inFlight: number
  readonly requests: number
  readonly resent: number
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/

/** Whether `name` can be a results table (a plain lower-case SQL name). */
export const isValidName = (name: string): boolean => identifier.test(name)

const toRow = (row: Record<string, unknown>): Row => ({
  key: String(row.key),
  status: row.status === "failed" ? "failed" : "succeeded",
  retryable: row.retryable === true,
  errorTag: typeof row.error_tag === "string" ? row.error_tag : undefined,
  result: typeof row.result === "string" ? JSON.parse(row.result) : row.result,
  sends: Number(row.sends)
})

/** The table's statements on the `SqlClient` in context. */
export const make = (table: string = defaultTable): Effect.Effect<ResultsTable, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    if (!isValidName(table)) return yield* Effect.dieMessage(`invalid results table name: ${JSON.stringify(table)}`)
    const sql = yield* SqlClient.SqlClient
    const t = sql(table)
    return {
      ensure: sql`create table if not exists ${t} (
        batch_id text not null,
        key text not null,
        status text not null,
        retryable boolean not null default false,
        error_tag text,
        result jsonb,
        sends integer not null default 0,
        runner text,
        sent_at timestamptz,
        finished_at timestamptz,
        primary key (batch_id, key)
      )`.pipe(Effect.asVoid),
      markSent: (batchId, key, runner) =>
        sql<{ sends: number }>`insert into ${t} (batch_id, key, status, sends, runner, sent_at)
          values (${batchId}, ${key}, 'in_flight', 1, ${runner}, now())
          on conflict (batch_id, key) do update
            set sends = ${t}.sends + 1, runner = excluded.runner, sent_at = excluded.sent_at
            where ${t}.status = 'in_flight'
          returning sends`.pipe(Effect.map((rows) => rows.length > 0 && Number(rows[0].sends) > 1)),
      finish: (batchId, rows) =>
        rows.length === 0 ? Effect.void : sql`insert into ${t} ${
          sql.insert(rows.map((row) => ({
            batch_id: batchId,
            key: row.key,
            status: row.status,
            retryable: row.retryable,
            error_tag: row.errorTag ?? null,
            result: JSON.stringify(row.result),
            finished_at: new Date()
          })))
        }
          on conflict (batch_id, key) do update
            set status = excluded.status, retryable = excluded.retryable, error_tag = excluded.error_tag,
                result = excluded.result, finished_at = excluded.finished_at
            where ${t}.status = 'in_flight'`.pipe(Effect.asVoid),
      read: (batchId, keys) =>
        keys.length === 0
          ? Effect.succeed([])
          : sql<Record<string, unknown>>`select key, status, retryable, error_tag, result, sends from ${t}
              where batch_id = ${batchId} and status <> 'in_flight' and key in ${sql.in(keys)}`.pipe(
            Effect.map((rows) => rows.map(toRow))
          ),
      summary: (batchId) =>
        sql<Record<string, unknown>>`select
            count(*) filter (where status = 'succeeded') as succeeded,
            count(*) filter (where status = 'failed') as failed,
            count(*) filter (where status = 'in_flight') as in_flight,
            coalesce(sum(sends), 0) as requests,
            count(*) filter (where sends > 1) as resent
          from ${t} where batch_id = ${batchId}`.pipe(Effect.map(([row]) => ({
          succeeded: Number(row.succeeded),
          failed: Number(row.failed),
          inFlight: Number(row.in_flight),
          requests: Number(row.requests),
          resent: Number(row.resent)
        }))),
      purge: (batchId) =>
        sql`delete from ${t} where batch_id = ${batchId} returning key`.pipe(Effect.map((rows) => rows.length))
    }
  })
