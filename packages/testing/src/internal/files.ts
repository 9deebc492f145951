import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Multipart from "@effect/platform/Multipart"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** A JSON answer (faults can still cut it) or a finished response. */
export type Answer =
  | { readonly _tag: "Json"; readonly status: number; readonly headers: Record<string, string>; readonly body: string }
  | { readonly _tag: "Response"; readonly response: HttpServerResponse.HttpServerResponse }

export type ErrorBody = (
  status: number,
  message?: string,
  param?: string | null,
  code?: string | number
) => { readonly error: Record<string, unknown> }

export interface StoredFile {
  readonly id: string
  readonly seq: number
  readonly filename: string
  readonly purpose: string
  readonly bytes: number
  readonly created_at: number
  readonly path: string
}

/** Where uploaded and generated files live: a temporary directory, removed when the gateway closes. */
export class Disk {
  private dir: string | undefined
  private seq = 0

  next(): number {
    return ++this.seq
  }

  pathFor(name: string): string {
    this.dir ??= Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-mock-"))
    return Path.join(this.dir, name)
  }

  close(): void {
    if (this.dir !== undefined) Fs.rmSync(this.dir, { recursive: true, force: true })
    this.dir = undefined
  }
}

/** One id space of files (`/v1/files` or `/v1/storage`). */
export class FileStore {
  readonly files = new Map<string, StoredFile>()

  constructor(readonly disk: Disk, readonly prefix: string) {}

  private newId(): { readonly id: string; readonly seq: number } {
    const seq = this.disk.next()
    return { id: `${this.prefix}-mock-${String(seq).padStart(8, "0")}`, seq }
  }

  /** Stores a file given as text (batch output and error files). */
  addText(filename: string, purpose: string, text: string): StoredFile {
    const { id, seq } = this.newId()
    const path = this.disk.pathFor(id)
    Fs.writeFileSync(path, text)
    return this.register({ id, seq, filename, purpose, bytes: Buffer.byteLength(text), path })
  }

  /** Stores a file from a stream of bytes, written to disk as it arrives. */
  addStream<E>(
    filename: string,
    purpose: string,
    bytes: Stream.Stream<Uint8Array, E>,
    maxBytes: number
  ): Effect.Effect<StoredFile | "too-large", E> {
    return Effect.suspend(() => {
      const { id, seq } = this.newId()
      const path = this.disk.pathFor(id)
      const fd = Fs.openSync(path, "w")
      let size = 0
      return Stream.runForEach(bytes, (chunk) =>
        Effect.sync(() => {
          size += chunk.length
          if (size <= maxBytes) Fs.writeSync(fd, chunk)
        })).pipe(
          Effect.ensuring(Effect.sync(() => Fs.closeSync(fd))),
          Effect.map(() => {
            if (size > maxBytes) {
              Fs.rmSync(path, { force: true })
              return "too-large" as const
            }
            return this.register({ id, seq, filename, purpose, bytes: size, path })
          }),
          Effect.tapErrorCause(() => Effect.sync(() => Fs.rmSync(path, { force: true })))
        )
    })
  }

  private register(file: Omit<StoredFile, "created_at">): StoredFile {
    const stored = { ...file, created_at: Math.floor(Date.now() / 1000) }
    this.files.set(stored.id, stored)
    return stored
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id)
  }

  readText(id: string): string | undefined {
    const file = this.files.get(id)
    return file === undefined ? undefined : Fs.readFileSync(file.path, "utf8")
  }

  remove(id: string): boolean {
    const file = this.files.get(id)
    if (file === undefined) return false
    this.files.delete(id)
    Fs.rmSync(file.path, { force: true })
    return true
  }

  clear(): void {
    for (const id of [...this.files.keys()]) this.remove(id)
  }
}

export interface FilesConfig {
  readonly store: FileStore
  /** `/v1/files` answers lists with the spec's camelCase paging fields, `/v1/storage` with snake_case. */
  readonly camelCase: boolean
  /** Purposes accepted on upload (`undefined`: any non-empty one). */
  readonly purposes: ReadonlySet<string> | undefined
  readonly maxUploadBytes: number
  readonly errorBody: ErrorBody
  /** Called with what a multipart upload carried (recorded as the request's body). */
  readonly onMultipart: (summary: unknown) => void
}

export const fileJson = (file: StoredFile, camelCase: boolean) => ({
  id: file.id,
  object: "file",
  bytes: file.bytes,
  created_at: file.created_at,
  filename: file.filename,
  purpose: file.purpose,
  ...(camelCase ? { status: "processed" } : {})
})

const jsonAnswer = (status: number, body: unknown, headers: Record<string, string>): Answer => ({
  _tag: "Json",
  status,
  headers,
  body: JSON.stringify(body)
})

const notFound = (config: FilesConfig, id: string, headers: Record<string, string>) =>
  jsonAnswer(404, config.errorBody(404, `No such File object: ${id}`, "file_id", "file_not_found"), headers)

const upload = (
  config: FilesConfig,
  request: HttpServerRequest.HttpServerRequest,
  headers: Record<string, string>
): Effect.Effect<Answer> =>
  Effect.gen(function*() {
    if (!(request.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data")) {
      return jsonAnswer(
        400,
        config.errorBody(400, "The upload must be multipart/form-data", null, "invalid_content_type"),
        headers
      )
    }
    const fields: Record<string, string> = {}
    const files: Array<{ key: string; filename: string; contentType: string; bytes: number }> = []
    let stored: StoredFile | "too-large" | undefined
    yield* Stream.runForEach(request.multipartStream, (part) => {
      if (Multipart.isField(part)) return Effect.sync(() => void (fields[part.key] = part.value))
      if (Multipart.isFile(part) && part.key === "file" && stored === undefined) {
        return Effect.map(
          config.store.addStream(part.name, "", part.content, config.maxUploadBytes),
          (result) => {
            stored = result
            files.push({
              key: part.key,
              filename: part.name,
              contentType: part.contentType,
              bytes: result === "too-large" ? -1 : result.bytes
            })
          }
        )
      }
      return Stream.runDrain(Multipart.isFile(part) ? part.content : Stream.empty)
    }).pipe(Multipart.withFieldMimeTypes([]), Effect.catchAll(() => Effect.void))
    config.onMultipart({ fields, files })
    const fail = (message: string, param: string, code: string) => {
      if (stored !== undefined && stored !== "too-large") config.store.remove(stored.id)
      return jsonAnswer(400, config.errorBody(400, message, param, code), headers)
    }
    if (stored === undefined) return fail("Missing required parameter: 'file'", "file", "missing_required_parameter")
    if (stored === "too-large") {
      return fail(`The file exceeds the upload limit of ${config.maxUploadBytes} bytes`, "file", "file_too_large")
    }
    const purpose = fields.purpose
    if (purpose === undefined || purpose.trim() === "") {
      return fail("Missing required parameter: 'purpose'", "purpose", "missing_required_parameter")
    }
    if (config.purposes !== undefined && !config.purposes.has(purpose)) {
      return fail(
        `Invalid purpose ${JSON.stringify(purpose)}: supported values are ${[...config.purposes].join(", ")}`,
        "purpose",
        "invalid_value"
      )
    }
    const file = { ...stored, purpose }
    config.store.files.set(file.id, file)
    return jsonAnswer(200, fileJson(file, config.camelCase), headers)
  })

const list = (config: FilesConfig, url: URL, headers: Record<string, string>): Answer => {
  const params = url.searchParams
  const order = params.get("order") ?? "desc"
  const limitText = params.get("limit")
  const limit = limitText === null ? 10_000 : Number(limitText)
  if (order !== "asc" && order !== "desc") {
    return jsonAnswer(400, config.errorBody(400, `Invalid order: ${order}`, "order", "invalid_value"), headers)
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    return jsonAnswer(
      400,
      config.errorBody(400, `Invalid limit: ${limitText}, must be 1 to 10000`, "limit", "invalid_value"),
      headers
    )
  }
  const purpose = params.get("purpose")
  let all = [...config.store.files.values()]
    .filter((f) => purpose === null || f.purpose === purpose)
    .sort((a, b) => a.created_at - b.created_at || a.seq - b.seq)
  if (order === "desc") all = all.reverse()
  const after = params.get("after")
  if (after !== null) {
    const at = all.findIndex((f) => f.id === after)
    all = at < 0 ? [] : all.slice(at + 1)
  }
  const page = all.slice(0, limit)
  const hasMore = all.length > page.length
  const first = page[0]?.id ?? null
  const last = page[page.length - 1]?.id ?? null
  return jsonAnswer(
    200,
    config.camelCase
      ? { object: "list", data: page.map((f) => fileJson(f, true)), hasMore, firstId: first, lastId: last }
      : {
        object: "list",
        data: page.map((f) => fileJson(f, false)),
        has_more: hasMore,
        first_id: first,
        last_id: last
      },
    headers
  )
}

const content = (file: StoredFile, headers: Record<string, string>): Answer => ({
  _tag: "Response",
  response: HttpServerResponse.stream(
    NodeStream.fromReadable(() => Fs.createReadStream(file.path, { highWaterMark: 256 * 1024 }), (e) => e),
    {
      status: 200,
      headers: { ...headers, "content-length": String(file.bytes) },
      contentType: "application/octet-stream"
    }
  )
})

/** Serves `/v1/files` or `/v1/storage` (`base`); `undefined` when the path is not one of them. */
export const route = (
  config: FilesConfig,
  base: string,
  request: HttpServerRequest.HttpServerRequest,
  path: string,
  headers: Record<string, string>
): Effect.Effect<Answer> | undefined => {
  const method = request.method
  if (path === base) {
    if (method === "POST") return upload(config, request, headers)
    if (method === "GET") return Effect.succeed(list(config, new URL(request.url, "http://mock"), headers))
    return undefined
  }
  if (!path.startsWith(`${base}/`)) return undefined
  const rest = path.slice(base.length + 1).split("/")
  const id = decodeURIComponent(rest[0] ?? "")
  if (rest.length === 2 && rest[1] === "content" && method === "GET") {
    const file = config.store.get(id)
    return Effect.succeed(file === undefined ? notFound(config, id, headers) : content(file, headers))
  }
  if (rest.length !== 1) return undefined
  if (method === "GET") {
    const file = config.store.get(id)
    return Effect.succeed(
      file === undefined ? notFound(config, id, headers) : jsonAnswer(200, fileJson(file, config.camelCase), headers)
    )
  }
  if (method === "DELETE") {
    return Effect.succeed(
      config.store.remove(id)
        ? jsonAnswer(200, config.camelCase ? { id, object: "file", deleted: true } : { id, deleted: true }, headers)
        : notFound(config, id, headers)
    )
  }
  return undefined
}
