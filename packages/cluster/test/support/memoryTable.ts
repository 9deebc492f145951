import { Effect } from "effect"
import type * as ResultsTable from "../../src/internal/resultsTable.js"

interface Entry {
  status: "in_flight" | "succeeded" | "failed"
  retryable: boolean
  errorTag: string | undefined
  result: unknown
  sends: number
}

/** The results table's semantics in memory (the SQL itself is covered by the PostgreSQL end-to-end test). */
export const memoryTable = () => {
  const batches = new Map<string, Map<string, Entry>>()
  const rows = (batchId: string) => {
    let found = batches.get(batchId)
    if (found === undefined) batches.set(batchId, found = new Map())
    return found
  }
  const table: ResultsTable.ResultsTable = {
    ensure: Effect.void,
    markSent: (batchId, key) =>
      Effect.sync(() => {
        const entry = rows(batchId).get(key)
        if (entry === undefined) {
          rows(batchId).set(key, { status: "in_flight", retryable: false, errorTag: undefined, result: null, sends: 1 })
          return false
        }
        if (entry.status !== "in_flight") return false
        entry.sends++
        return true
      }),
    finish: (batchId, finished) =>
      Effect.sync(() => {
        for (const row of finished) {
          const entry = rows(batchId).get(row.key)
          if (entry !== undefined && entry.status !== "in_flight") continue
          rows(batchId).set(row.key, {
            status: row.status,
            retryable: row.retryable,
            errorTag: row.errorTag,
            result: JSON.parse(JSON.stringify(row.result)),
            sends: entry?.sends ?? 0
          })
        }
      }),
    read: (batchId, keys) =>
      Effect.sync(() =>
        keys.flatMap((key) => {
          const entry = rows(batchId).get(key)
          return entry === undefined || entry.status === "in_flight"
            ? []
            : [{
              key,
              status: entry.status,
              retryable: entry.retryable,
              errorTag: entry.errorTag,
              result: entry.result,
              sends: entry.sends
            }]
        })
      ),
    summary: (batchId) =>
      Effect.sync(() => {
        const all = [...rows(batchId).values()]
        return {
          succeeded: all.filter((entry) => entry.status === "succeeded").length,
          failed: all.filter((entry) => entry.status === "failed").length,
          inFlight: all.filter((entry) => entry.status === "in_flight").length,
          requests: all.reduce((n, entry) => n + entry.sends, 0),
          resent: all.filter((entry) => entry.sends > 1).length
        }
      }),
    purge: (batchId) =>
      Effect.sync(() => {
        const n = rows(batchId).size
        batches.delete(batchId)
        return n
      })
  }
  return { table, rows }
}
