import { assert, describe, it } from "@effect/vitest"
import * as Batches from "@nexos-effect/schema/Batches"
import { Either, Schema } from "effect"

describe("Batches", () => {
  it("a batch decodes with null timestamps and files as absent, counts defaulted, vendor fields kept", () => {
    const batch = Schema.decodeUnknownSync(Batches.Batch)({
      id: "batch_1",
      status: "in_progress",
      endpoint: "/v1/chat/completions",
      input_file_id: "file-1",
      output_file_id: null,
      completed_at: null,
      request_counts: { total: 3, completed: null },
      errors: null,
      model: "gpt-4.1"
    })
    assert.deepStrictEqual(batch, {
      id: "batch_1",
      object: "batch",
      status: "in_progress",
      endpoint: "/v1/chat/completions",
      input_file_id: "file-1",
      completion_window: "24h",
      created_at: 0,
      request_counts: { total: 3, completed: 0, failed: 0 },
      model: "gpt-4.1"
    } as never)
    assert.isFalse(Batches.isTerminal(batch.status))
    assert.isTrue(Batches.isTerminal("expired"))
  })

  it("a batch list decodes either spelling of its paging fields", () => {
    const decode = Schema.decodeUnknownSync(Batches.BatchList)
    const data = [{ id: "b", status: "completed" }]
    assert.deepStrictEqual(decode({ data, hasMore: true, lastId: "b" }), decode({ data, has_more: true, last_id: "b" }))
    assert.isTrue(decode({ data, hasMore: true }).has_more)
  })

  it("output lines: a response, an error, or neither; custom_id kept", () => {
    const decode = Schema.decodeUnknownSync(Batches.OutputLine)
    const ok = decode({ id: "r", custom_id: "a", response: { status_code: 200, body: { id: "c" } }, error: null })
    assert.deepStrictEqual(ok, { id: "r", custom_id: "a", response: { status_code: 200, body: { id: "c" } } })
    const expired = decode({ custom_id: "b", response: null, error: { code: "batch_expired", message: "late" } })
    assert.deepStrictEqual(expired, { custom_id: "b", error: { code: "batch_expired", message: "late" } })
  })

  it("create requests and input lines are strict", () => {
    const create = Schema.validateEither(Batches.CreateBatchRequest)
    assert.isTrue(Either.isRight(create({ input_file_id: "f", endpoint: "/v1/embeddings", completion_window: "24h" })))
    for (
      const bad of [
        { input_file_id: "", endpoint: "/v1/embeddings" },
        { input_file_id: "f", endpoint: "/v1/completions" },
        { input_file_id: "f", endpoint: "/v1/embeddings", completion_window: "48h" },
        { input_file_id: "f", endpoint: "/v1/embeddings", metadata: { ["k".repeat(65)]: "v" } },
        { input_file_id: "f", endpoint: "/v1/embeddings", extra: 1 }
      ]
    ) assert.isTrue(Either.isLeft(create(bad)), JSON.stringify(bad))
    const line = Schema.validateEither(Batches.InputLine)
    assert.isTrue(Either.isRight(line({ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: {} })))
    assert.isTrue(Either.isLeft(line({ custom_id: "a", method: "GET", url: "/v1/chat/completions", body: {} })))
  })
})
