/**
 * A file to send in a multipart request (`files.upload`, `storage.upload`, audio transcriptions): bytes in memory,
 * a path read through `@effect/platform`'s `FileSystem` service, or a `Stream` of bytes. Paths and streams are sent
 * as they are read, never held in memory whole. A request that is retried reads its source again: a path is
 * re-opened, a stream re-run (pass `retry: RetryPolicy.none` for a stream that can run only once).
 *
 * @since 0.1.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * A file to upload: its name, its content type and where its bytes come from. `E` is how reading it can fail,
 * `R` what reading it needs (`FileSystem` for a path).
 *
 * @since 0.1.0
 * @category models
 */
export interface Upload<E = never, R = never> {
  readonly filename: string
  readonly contentType: string
  /** The size when it is known before reading (bytes; a path after `stat`; a stream when given). */
  readonly size: number | undefined
  /** Opens the source: its size when known and its bytes. */
  readonly open: Effect.Effect<Opened<E>, E, R>
}

/**
 * An opened source.
 *
 * @since 0.1.0
 * @category models
 */
export interface Opened<E> {
  readonly size: number | undefined
  readonly bytes: Stream.Stream<Uint8Array, E>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The name sent with the file (default: the path's last segment; required for bytes and streams). */
  readonly filename?: string
  /** Default: guessed from the file name's extension, else `application/octet-stream`. */
  readonly contentType?: string
}

const types: Record<string, string> = {
  jsonl: "application/jsonl",
  json: "application/json",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  html: "text/html",
  pdf: "application/pdf",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  mp3: "audio/mpeg",
  mpga: "audio/mpeg",
  mpeg: "audio/mpeg",
  mp4: "audio/mp4",
  m4a: "audio/mp4",
  wav: "audio/wav",
  flac: "audio/flac",
  ogg: "audio/ogg",
  webm: "audio/webm"
}

/**
 * The content type for a file name, from its extension (`application/octet-stream` when unknown).
 *
 * @since 0.1.0
 * @category utils
 */
export const contentTypeOf = (filename: string): string => {
  const dot = filename.lastIndexOf(".")
  return (dot >= 0 ? types[filename.slice(dot + 1).toLowerCase()] : undefined) ?? "application/octet-stream"
}

const basename = (path: string): string => {
  const parts = path.split(/[\\/]/).filter((p) => p !== "")
  return parts[parts.length - 1] ?? path
}

/**
 * Bytes already in memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBytes = (bytes: Uint8Array, options: Options & { readonly filename: string }): Upload => ({
  filename: options.filename,
  contentType: options.contentType ?? contentTypeOf(options.filename),
  size: bytes.length,
  open: Effect.succeed({ size: bytes.length, bytes: Stream.succeed(bytes) })
})

/**
 * A text, sent as UTF-8.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromText = (text: string, options: Options & { readonly filename: string }): Upload =>
  fromBytes(new TextEncoder().encode(text), options)

/**
 * A file on disk, read in chunks through the `FileSystem` service as it is sent. Its size is taken when the request
 * starts and exactly that many bytes are sent. A missing or unreadable file fails with the `PlatformError` that
 * names it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPath = (
  path: string,
  options: Options & { readonly chunkSize?: number } = {}
): Upload<PlatformError, FileSystem.FileSystem> => {
  const filename = options.filename ?? basename(path)
  return {
    filename,
    contentType: options.contentType ?? contentTypeOf(filename),
    size: undefined,
    open: Effect.flatMap(FileSystem.FileSystem, (fs) =>
      Effect.map(fs.stat(path), (info) => {
        const size = Number(info.size)
        return {
          size,
          bytes: fs.stream(path, { bytesToRead: size, chunkSize: options.chunkSize ?? 256 * 1024 })
        }
      }))
  }
}

/**
 * A stream of bytes, sent as it is pulled. Give `size` when it is known: the request then carries a
 * `Content-Length` (some servers want one), and a stream whose length differs fails with `InvalidRequest`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStream = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  options: Options & { readonly filename: string; readonly size?: number }
): Upload<E, R> => ({
  filename: options.filename,
  contentType: options.contentType ?? contentTypeOf(options.filename),
  size: options.size,
  open: Effect.map(Effect.context<R>(), (context) => ({
    size: options.size,
    bytes: Stream.provideContext(bytes, context)
  }))
})
