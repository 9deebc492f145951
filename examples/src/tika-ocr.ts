/**
 * Ask about a document: upload it to `/v1/storage` (multipart, streamed), then let the gateway's own `tika_ocr`
 * tool extract its text while answering: the request names the file by id and the gateway reads it server-side.
 * The file is deleted when the program ends, also when it fails. A document on disk goes up the same way with
 * `Upload.fromPath(path)` (it needs the `FileSystem` service, e.g. `NodeFileSystem.layer`).
 *
 * Run alone: `node examples/dist/tika-ocr.js`
 */
import { NexosClient, Upload } from "@nexos-effect/client"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import { Console, Effect } from "effect"
import * as Backend from "./backend.js"

const invoice = [
  "INVOICE 2026-0042",
  "Seller: Example Widgets GmbH, Berlin",
  "Buyer: Acme Sp. z o.o., Warsaw",
  "3 x Widget Pro at 33.00 EUR",
  "Total due: 99.00 EUR by 2026-02-15"
].join("\n")

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient

  const file = yield* Effect.acquireRelease(
    nexos.storage.upload(Upload.fromText(invoice, { filename: "invoice-2026-0042.txt" })),
    (uploaded) => Effect.ignore(nexos.storage.delete(uploaded.id))
  )
  yield* Console.log(`uploaded ${file.filename} (${file.bytes} bytes) as ${file.id}`)

  const completion = yield* nexos.chat.completions.create({
    model: Backend.model,
    messages: [{ role: "user", content: "What is the total due on this invoice, and by when?" }],
    tools: [{ type: "tika_ocr", tika_ocr: { file_id: file.id } }]
  })
  const answer = ChatCompletion.text(completion)
  yield* Console.log(`answer: ${answer}`)
  return { fileId: file.id, bytes: file.bytes, answer }
}).pipe(Effect.scoped)

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
