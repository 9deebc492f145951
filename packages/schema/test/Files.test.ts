import { assert, describe, it } from "@effect/vitest"
import * as Files from "@nexos-effect/schema/Files"
import { Either, Schema } from "effect"

const decodeList = Schema.decodeUnknownSync(Files.FileList)

describe("Files", () => {
  it("a list page decodes with the spec's camelCase and OpenAI's snake_case paging fields to snake_case", () => {
    const file = { id: "file-1", object: "file", bytes: 3, created_at: 1, filename: "a.jsonl", purpose: "batch" }
    const camel = decodeList({ object: "list", data: [file], hasMore: true, firstId: "file-1", lastId: "file-1" })
    const snake = decodeList({ object: "list", data: [file], has_more: true, first_id: "file-1", last_id: "file-1" })
    assert.deepStrictEqual(camel, snake)
    assert.deepStrictEqual(camel, {
      object: "list",
      data: [file],
      has_more: true,
      first_id: "file-1",
      last_id: "file-1"
    })
  })

  it("a page without paging fields has no more pages; nulls are absent; unknown fields are kept", () => {
    const page = decodeList({ data: [{ id: "f", size: 12, status: null }], firstId: null, vendor: 1 })
    assert.deepStrictEqual(
      page,
      { object: "list", data: [{ id: "f", object: "file", size: 12 }], has_more: false, vendor: 1 } as never
    )
  })

  it("a file with nothing but an id decodes; a storage delete without object decodes", () => {
    assert.deepStrictEqual(Schema.decodeUnknownSync(Files.FileObject)({ id: "x" }), { id: "x", object: "file" })
    assert.deepStrictEqual(Schema.decodeUnknownSync(Files.FileDeleted)({ id: "x", deleted: true }), {
      id: "x",
      deleted: true
    })
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Files.FileDeleted)({ id: "x" })))
  })

  it("list queries and upload parameters are strict", () => {
    const validate = Schema.validateEither(Files.ListQuery)
    assert.isTrue(Either.isRight(validate({ after: "file-1", limit: 10_000, order: "asc", purpose: "batch" })))
    for (const bad of [{ limit: 0 }, { limit: 1.5 }, { limit: 10_001 }, { order: "up" }, { after: "" }, { other: 1 }]) {
      assert.isTrue(Either.isLeft(validate(bad)), JSON.stringify(bad))
    }
    assert.deepStrictEqual(Files.queryParams({ limit: 5, after: "f" }), { after: "f", limit: "5" })
    assert.isTrue(Either.isLeft(Schema.validateEither(Files.UploadParams)({ purpose: " " })))
  })
})
