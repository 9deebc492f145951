import * as HttpBody from "@effect/platform/HttpBody"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as NexosError from "../NexosError.js"
import type * as Upload from "../Upload.js"

const encoder = new TextEncoder()

const quoted = (value: string): string => value.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A")

const newBoundary = (): string => {
  const bytes = new Uint8Array(12)
  globalThis.crypto.getRandomValues(bytes)
  return `----nexos-effect-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`
}

/** A multipart field: a name and one or more values (repeated for arrays, e.g. `timestamp_granularities[]`). */
export type Fields = ReadonlyArray<readonly [string, string]>

/**
 * A `multipart/form-data` body streamed from its parts: the text fields, then the file, read as the body is sent.
 * The `Content-Length` is set when the file's size is known. A stream that yields a different number of bytes than
 * announced fails with `InvalidRequest`. A failure of the source is handed to `report` before the transport sees it
 * (the transport would only know it as a broken connection).
 */
export const body = <E>(
  fields: Fields,
  file: { readonly name: string; readonly upload: Upload.Upload<unknown, unknown> },
  opened: Upload.Opened<E>,
  report: (error: E | NexosError.InvalidRequest) => Effect.Effect<unknown>
): HttpBody.HttpBody => {
  const boundary = newBoundary()
  let head = ""
  for (const [name, value] of fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.name)}"; filename="${
    quoted(file.upload.filename)
  }"\r\nContent-Type: ${file.upload.contentType.replace(/[\r\n]/g, "")}\r\n\r\n`
  const headBytes = encoder.encode(head)
  const tailBytes = encoder.encode(`\r\n--${boundary}--\r\n`)
  const expected = opened.size
  const checked = expected === undefined ? opened.bytes : Stream.suspend(() => {
    let seen = 0
    const mismatch = () =>
      new NexosError.InvalidRequest({
        message: `Invalid upload: the file ${file.upload.filename} was announced as ${expected} bytes but gave ${seen}`,
        issues: [{ path: "file", message: `announced ${expected} bytes, got ${seen}` }]
      })
    return Stream.concat(
      Stream.mapChunksEffect(opened.bytes, (chunk) => {
        for (const piece of chunk) seen += piece.length
        return seen > expected ? Effect.fail(mismatch()) : Effect.succeed(chunk)
      }),
      Stream.fromEffect(Effect.suspend(() => seen === expected ? Effect.void : Effect.fail(mismatch()))).pipe(
        Stream.drain
      )
    )
  })
  const stream = Stream.concat(
    Stream.concat(Stream.succeed(headBytes), Stream.tapError(checked, report)),
    Stream.succeed(tailBytes)
  )
  return HttpBody.stream(
    stream,
    `multipart/form-data; boundary=${boundary}`,
    expected === undefined ? undefined : headBytes.length + expected + tailBytes.length
  )
}
