import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
import * as Upload from "@nexos-effect/client/Upload"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { clientOnMock } from "./layers.js"

const nexos = NexosClient.NexosClient
const gateway = MockGateway.MockGateway
const layer = Layer.merge(clientOnMock(), NodeFileSystem.layer)
const encoder = new TextEncoder()
const decoder = new TextDecoder()

const collectText = <E>(bytes: Stream.Stream<Uint8Array, E>) =>
  Effect.map(Stream.runCollect(bytes), (chunks) => {
    const parts = Chunk.toReadonlyArray(chunks)
    return decoder.decode(Buffer.concat(parts.map((p) => Buffer.from(p))))
  })

const tempFile = (name: string, text: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-files-test-"))
      const path = Path.join(dir, name)
      Fs.writeFileSync(path, text)
      return path
    }),
    (path) => Effect.sync(() => Fs.rmSync(Path.dirname(path), { recursive: true, force: true }))
  )

describe("files and storage against the embedded gateway (real sockets)", () => {
  it.scopedLive("upload from bytes, a path and a stream; get, content, list, delete", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const jsonl = "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n"
      const path = yield* tempFile("requests.jsonl", jsonl)

      const fromBytes = yield* client.files.upload(Upload.fromText(jsonl, { filename: "bytes.jsonl" }))
      const fromPath = yield* client.files.upload(Upload.fromPath(path))
      const pieces = ["{\"custom_id\":", "\"c\"}\n", "{\"custom_id\":\"d\"}\n"].map((p) => encoder.encode(p))
      const fromStream = yield* client.files.upload(
        Upload.fromStream(Stream.fromIterable(pieces), { filename: "stream.jsonl" }),
        { purpose: "batch" }
      )
      const sized = yield* client.files.upload(
        Upload.fromStream(Stream.fromIterable(pieces), { filename: "sized.jsonl", size: 36 })
      )

      assert.strictEqual(fromBytes.filename, "bytes.jsonl")
      assert.strictEqual(fromBytes.bytes, jsonl.length)
      assert.strictEqual(fromBytes.purpose, "batch")
      assert.strictEqual(fromBytes.object, "file")
      assert.strictEqual(fromPath.filename, "requests.jsonl")
      assert.strictEqual(fromPath.bytes, jsonl.length)
      assert.strictEqual(fromStream.bytes, 36)
      assert.strictEqual(sized.bytes, 36)

      const requests = yield* (yield* gateway).requests
      const uploads = requests.filter((r) => r.method === "POST" && r.path === "/v1/files")
      assert.deepStrictEqual(uploads.map((r) => r.body), [
        {
          fields: { purpose: "batch" },
          files: [{ key: "file", filename: "bytes.jsonl", contentType: "application/jsonl", bytes: 36 }]
        },
        {
          fields: { purpose: "batch" },
          files: [{ key: "file", filename: "requests.jsonl", contentType: "application/jsonl", bytes: 36 }]
        },
        {
          fields: { purpose: "batch" },
          files: [{ key: "file", filename: "stream.jsonl", contentType: "application/jsonl", bytes: 36 }]
        },
        {
          fields: { purpose: "batch" },
          files: [{ key: "file", filename: "sized.jsonl", contentType: "application/jsonl", bytes: 36 }]
        }
      ])
      assert.match(uploads[2]!.headers["content-type"]!, /^multipart\/form-data; boundary=/)
      assert.strictEqual(uploads[2]!.headers["transfer-encoding"], "chunked")
      assert.strictEqual(uploads[3]!.headers["content-length"], String(Number(uploads[3]!.headers["content-length"])))

      const got = yield* client.files.get(fromPath.id)
      assert.deepStrictEqual(got, fromPath)
      assert.strictEqual(yield* collectText(client.files.content(fromPath.id)), jsonl)
      assert.strictEqual(
        yield* collectText(client.files.content(fromStream.id)),
        pieces.map((p) => decoder.decode(p)).join("")
      )

      const listed = yield* Stream.runCollect(client.files.list({ order: "asc" }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((f) => f.id), [
        fromBytes.id,
        fromPath.id,
        fromStream.id,
        sized.id
      ])

      const deleted = yield* client.files.delete(fromBytes.id)
      assert.deepStrictEqual({ ...deleted }, { id: fromBytes.id, object: "file", deleted: true })
      const missing = yield* Effect.flip(client.files.get(fromBytes.id))
      assert.strictEqual(missing._tag, "NotFound")
      assert.include(missing.message, fromBytes.id)
    }).pipe(Effect.provide(layer)))

  it.scopedLive("list pages lazily: the next page is fetched only when the stream is pulled that far", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        ids.push((yield* client.files.upload(Upload.fromText(`{"n":${i}}\n`, { filename: `f${i}.jsonl` }))).id)
      }
      const before = (yield* gw.requests).length
      const listCalls = Effect.map(gw.requests, (all) => all.slice(before).filter((r) => r.path === "/v1/files"))

      const firstTwo = yield* Stream.runCollect(Stream.take(client.files.list({ limit: 2 }), 2))
      assert.deepStrictEqual(Chunk.toReadonlyArray(firstTwo).map((f) => f.id), [ids[4], ids[3]])
      assert.strictEqual((yield* listCalls).length, 1)

      const all = yield* Stream.runCollect(client.files.list({ limit: 2 }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(all).map((f) => f.id), [...ids].reverse())
      const calls = (yield* listCalls).slice(1)
      assert.deepStrictEqual(calls.map((r) => r.url), [
        "/v1/files?limit=2",
        `/v1/files?after=${ids[3]}&limit=2`,
        `/v1/files?after=${ids[1]}&limit=2`
      ])

      const page = yield* client.files.listPage({ limit: 2, order: "asc" })
      assert.isTrue(page.has_more)
      assert.strictEqual(page.first_id, ids[0])
      assert.strictEqual(page.last_id, ids[1])
    }).pipe(Effect.provide(layer)))

  it.scopedLive("storage: its own id space, snake_case paging, delete without object", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const doc = yield* client.storage.upload(
        Upload.fromText("Invoice 42: total 99.50 EUR", { filename: "invoice.txt" }),
        { purpose: "user_data" }
      )
      assert.match(doc.id, /^storage-/)
      assert.strictEqual(doc.purpose, "user_data")
      assert.strictEqual(doc.bytes, 27)
      const second = yield* client.storage.upload(Upload.fromText("x", { filename: "x.txt" }), { purpose: "user_data" })
      const listed = yield* Stream.runCollect(client.storage.list({ limit: 1, order: "asc" }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((f) => f.id), [doc.id, second.id])
      const [page, files] = yield* Effect.all([client.storage.listPage({ limit: 1 }), client.files.listPage()])
      assert.isTrue(page.has_more)
      assert.strictEqual(files.data.length, 0)
      assert.strictEqual(yield* collectText(client.storage.content(doc.id)), "Invoice 42: total 99.50 EUR")
      const deleted = yield* client.storage.delete(doc.id)
      assert.deepStrictEqual({ ...deleted }, { id: doc.id, deleted: true })
    }).pipe(Effect.provide(layer)))

  it.scopedLive("bad input: typed errors that name the problem, nothing sent when the client can tell", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway

      const noFile = yield* Effect.flip(client.files.upload(Upload.fromPath("/nonexistent/dir/batch.jsonl")))
      assert.strictEqual(noFile._tag, "SystemError")
      assert.include(noFile.message, "/nonexistent/dir/batch.jsonl")

      const emptyId = yield* Effect.flip(client.files.get(""))
      assert.strictEqual(emptyId._tag, "InvalidRequest")
      const badLimit = yield* Effect.flip(Stream.runDrain(client.files.list({ limit: 0 })))
      assert.strictEqual(badLimit._tag, "InvalidRequest")
      assert.include(badLimit.message, "limit")
      const emptyPurpose = yield* Effect.flip(
        client.files.upload(Upload.fromText("x", { filename: "a" }), { purpose: "" })
      )
      assert.include(emptyPurpose.message, "purpose")
      assert.strictEqual((yield* gw.requests).length, 0)

      const wrongSize = yield* Effect.flip(
        client.files.upload(
          Upload.fromStream(Stream.make(encoder.encode("12345")), { filename: "short.jsonl", size: 10 }),
          undefined,
          { retry: RetryPolicy.none }
        )
      )
      assert.strictEqual(wrongSize._tag, "InvalidRequest")
      assert.include(wrongSize.message, "announced as 10 bytes but gave 5")

      const broken = Stream.concat(Stream.make(encoder.encode("{}\n")), Stream.fail("disk gone" as const))
      const sourceFailed = yield* Effect.flip(client.files.upload(Upload.fromStream(broken, { filename: "b.jsonl" })))
      assert.strictEqual(sourceFailed, "disk gone")

      const rejected = yield* Effect.flip(
        client.files.upload(Upload.fromText("x", { filename: "a.txt" }), { purpose: "user_data" })
      )
      assert.strictEqual(rejected._tag, "BadRequest")
      assert.include(rejected.message, "Invalid purpose")
    }).pipe(Effect.provide(layer)))

  it.scopedLive("an upload inside an uninterruptible region (acquireRelease) completes, and so does its failure", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const file = yield* Effect.acquireRelease(
        client.storage.upload(Upload.fromText("doc", { filename: "doc.txt" })),
        (f) => Effect.ignore(client.storage.delete(f.id))
      )
      assert.strictEqual(file.bytes, 3)
      const broken = Stream.concat(Stream.make(encoder.encode("{}\n")), Stream.fail("disk gone" as const))
      const failed = yield* Effect.flip(
        Effect.uninterruptible(client.files.upload(Upload.fromStream(broken, { filename: "b.jsonl" })))
      )
      assert.strictEqual(failed, "disk gone")
    }).pipe(Effect.provide(layer)))

  it.scopedLive("a failed upload is retried with the whole file read again", () =>
    Effect.gen(function*() {
      const client = yield* nexos
      const gw = yield* gateway
      const text = Array.from({ length: 2000 }, (_, i) => `{"custom_id":"k${i}"}`).join("\n")
      const path = yield* tempFile("big.jsonl", text)
      yield* gw.queueFaults(Fault.status(503))
      const file = yield* client.files.upload(Upload.fromPath(path, { chunkSize: 4096 }))
      assert.strictEqual(file.bytes, text.length)
      assert.strictEqual(yield* collectText(client.files.content(file.id)), text)
      const uploads = (yield* gw.requests).filter((r) => r.method === "POST")
      assert.strictEqual(uploads.length, 2)
      assert.strictEqual(uploads[1]!.headers["x-nexos-retry-count"], "1")
    }).pipe(Effect.provide(layer)))
})
