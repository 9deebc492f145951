/**
 * A linear, chunk-wise Server-Sent Events parser and the reader that turns SSE events into chat chunks. Byte
 * boundaries may fall anywhere, also inside a multi-byte character; every decoded piece is scanned once for line
 * ends (LF, CRLF, CR, also split across pieces), so the cost is proportional to the input, never to the size of
 * what is buffered.
 *
 * @since 0.1.0
 */
import * as ApiError from "@nexos-effect/schema/ApiError"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import * as NexosError from "../NexosError.js"
import * as Bounded from "./bounded.js"
import { decodeChunk, DecodeFailure } from "./chunkDecoder.js"
import { chunksOf } from "./jsonBody.js"

/** @internal */
export interface SseHandler {
  /** Handles one dispatched event; returns true to stop parsing. */
  readonly onEvent: (event: string, data: string) => boolean
  /** Called once when an event grows beyond the bound; parsing stops. */
  readonly onOversize: (size: number, head: string) => void
}

const LF = 10
const CR = 13
const COLON = 58
const SPACE = 32

const sequenceLength = (lead: number): number => lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1

const completeEnd = (bytes: Uint8Array): number => {
  const n = bytes.length
  if (n === 0 || bytes[n - 1] < 0x80) return n
  const stop = n > 4 ? n - 4 : 0
  for (let j = n - 1; j >= stop; j--) {
    const b = bytes[j]
    if ((b & 0xc0) !== 0x80) return j + sequenceLength(b) > n ? j : n
  }
  return n
}

/**
 * The parser decodes UTF-8 itself around piece boundaries (holding back at most 3 bytes of an incomplete
 * character) and decodes the rest without `stream: true`, which takes the engines' fast path (about four times
 * faster than a streaming `TextDecoder` in Node).
 *
 * @internal
 */
export class SseParser {
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true })
  private tail: Uint8Array | undefined = undefined
  private started = false
  private pending = ""
  private data = ""
  private hasData = false
  private event = ""
  private skipLF = false
  stopped = false

  constructor(private readonly handler: SseHandler, private readonly maxEventChars: number) {}

  feed(bytes: Uint8Array): void {
    if (this.stopped || bytes.length === 0) return
    let from = 0
    const tail = this.tail
    if (tail !== undefined) {
      const need = sequenceLength(tail[0]) - tail.length
      let k = 0
      while (k < need && k < bytes.length && (bytes[k] & 0xc0) === 0x80) k++
      if (k < need && k === bytes.length) {
        const grown = new Uint8Array(tail.length + k)
        grown.set(tail)
        grown.set(bytes, tail.length)
        this.tail = grown
        return
      }
      const char = new Uint8Array(tail.length + k)
      char.set(tail)
      char.set(bytes.subarray(0, k), tail.length)
      this.tail = undefined
      from = k
      this.text(this.decoder.decode(char))
      if (this.stopped || from === bytes.length) return
    }
    const rest = from === 0 ? bytes : bytes.subarray(from)
    const end = completeEnd(rest)
    if (end < rest.length) this.tail = rest.slice(end)
    if (end > 0) this.text(this.decoder.decode(end === rest.length ? rest : rest.subarray(0, end)))
  }

  end(): void {
    if (this.stopped) return
    if (this.tail !== undefined) {
      const tail = this.tail
      this.tail = undefined
      this.text(this.decoder.decode(tail))
    }
    if (this.stopped) return
    if (this.pending.length > 0) {
      const line = this.pending
      this.pending = ""
      this.line(line, 0, line.length)
      if (this.stopped) return
    }
    this.dispatch()
  }

  private text(s: string): void {
    if (!this.started) {
      this.started = true
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1)
    }
    if (s.length > 0) this.feedText(s)
  }

  private feedText(s: string): void {
    const n = s.length
    let i = 0
    if (this.skipLF) {
      this.skipLF = false
      if (s.charCodeAt(0) === LF) i = 1
    }
    let lf = s.indexOf("\n", i)
    let cr = s.includes("\r") ? s.indexOf("\r", i) : -1
    while (i < n) {
      if (lf !== -1 && lf < i) lf = s.indexOf("\n", i)
      if (cr !== -1 && cr < i) cr = s.indexOf("\r", i)
      const end = lf === -1 ? cr : cr === -1 ? lf : lf < cr ? lf : cr
      if (end === -1) {
        this.pending = this.pending.length === 0 ? (i === 0 ? s : s.slice(i)) : this.pending + s.slice(i)
        this.checkSize()
        return
      }
      if (this.pending.length > 0) {
        const line = this.pending + s.slice(i, end)
        this.pending = ""
        this.line(line, 0, line.length)
      } else {
        this.line(s, i, end)
      }
      if (this.stopped) return
      if (s.charCodeAt(end) === CR) {
        if (end + 1 < n) i = s.charCodeAt(end + 1) === LF ? end + 2 : end + 1
        else {
          i = end + 1
          this.skipLF = true
        }
      } else {
        i = end + 1
      }
    }
  }

  private checkSize(): void {
    const size = this.pending.length + this.data.length
    if (size > this.maxEventChars) {
      this.stopped = true
      this.handler.onOversize(size, this.hasData ? this.data : this.pending)
      this.pending = ""
      this.data = ""
    }
  }

  private line(s: string, start: number, end: number): void {
    if (start === end) return this.dispatch()
    const c = s.charCodeAt(start)
    if (c === COLON) return
    if (c === 100 && s.startsWith("data", start)) {
      const after = start + 4
      if (after === end) return this.append("")
      if (s.charCodeAt(after) === COLON) {
        const v = after + 1 < end && s.charCodeAt(after + 1) === SPACE ? after + 2 : after + 1
        return this.append(s.slice(v, end))
      }
    }
    let colon = start
    while (colon < end && s.charCodeAt(colon) !== COLON) colon++
    const field = s.slice(start, colon)
    let value = ""
    if (colon < end) {
      const v = colon + 1 < end && s.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1
      value = s.slice(v, end)
    }
    if (field === "event") this.event = value
    else if (field === "data") this.append(value)
  }

  private append(value: string): void {
    if (this.hasData) this.data = this.data + "\n" + value
    else {
      this.data = value
      this.hasData = true
    }
    if (this.data.length > this.maxEventChars - this.pending.length) this.checkSize()
  }

  private dispatch(): void {
    const data = this.data
    const event = this.event
    const hasData = this.hasData
    this.data = ""
    this.event = ""
    this.hasData = false
    if (!hasData || data.length === 0) return
    if (this.handler.onEvent(event, data)) this.stopped = true
  }
}

/** Errors `decodeSse` can raise. @internal */
export type SseError =
  | NexosError.DecodeError
  | NexosError.StreamError
  | NexosError.StreamTruncated
  | NexosError.ResponseError

/** @internal */
export interface SseReaderOptions {
  readonly maxEventBytes: number
  readonly requireDone: boolean
  readonly requestId: string | undefined
  readonly secrets: ReadonlyArray<string> | undefined
  /** The response's status and headers, to classify a JSON error body (default 200, none). */
  readonly status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly now: () => number
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const isErrorFrame = (u: unknown): boolean =>
  isRecord(u) && ((u.error !== undefined && u.error !== null) || u.object === "error" || u.type === "error")

const isDone = (data: string): boolean => data.charCodeAt(0) !== 123 && (data === "[DONE]" || data.trim() === "[DONE]")

const UNDECIDED = 0
const SSE = 1
const JSON_BODY = 2

const isBlank = (b: number): boolean => b === SPACE || b === LF || b === CR || b === 9

const headBytes = 2048

const sseLine = /^(?:$|:|(?:data|event|id|retry)(?::|$))/

const concat = (pieces: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (pieces.length === 1) return pieces[0]
  const out = new Uint8Array(size)
  let at = 0
  for (const piece of pieces) {
    out.set(piece, at)
    at += piece.length
  }
  return out
}

/**
 * Reads a response body into chat chunks. An SSE body: `[DONE]` ends, error frames fail with `StreamError`, anything
 * the chunk schema rejects fails with `DecodeError`. A body whose first non-blank byte is `{` or `[` is not SSE
 * (no SSE line starts so): it is read whole as JSON; an error body fails with the error its status, headers and
 * body describe (as for a non-streaming response), a completion or a chunk becomes the chunks a stream of it would
 * give. A body that ends with no data event and starts with text that is no SSE line (an HTML page, `error code:
 * 1010`) fails with `DecodeError` quoting it, not `StreamTruncated`. `feed` and `end` append chunks to `out`; after
 * each call check `failure` and `done`.
 *
 * @internal
 */
export class SseChunkReader implements SseHandler {
  private readonly parser: SseParser
  private out: Array<ChatCompletionChunk.ChatCompletionChunk> = []
  private mode = UNDECIDED
  private pieces: Array<Uint8Array> = []
  private size = 0
  private head: Array<Uint8Array> | undefined = []
  private headSize = 0
  chunks = 0
  done = false
  failure: SseError | undefined = undefined

  constructor(private readonly options: SseReaderOptions) {
    this.parser = new SseParser(this, options.maxEventBytes)
  }

  feed(bytes: Uint8Array, out: Array<ChatCompletionChunk.ChatCompletionChunk>): void {
    this.out = out
    if (this.mode === SSE) {
      if (this.head !== undefined) this.keepHead(bytes)
      this.parser.feed(bytes)
    } else if (this.mode === JSON_BODY) {
      this.hold(bytes)
    } else {
      this.decide(bytes)
    }
  }

  end(out: Array<ChatCompletionChunk.ChatCompletionChunk>): void {
    this.out = out
    if (this.mode === JSON_BODY) return this.readJson()
    this.mode = SSE
    this.parser.end()
    if (!this.done && this.failure === undefined && this.chunks === 0) this.checkNotSse()
    if (!this.done && this.failure === undefined && this.options.requireDone) {
      this.failure = new NexosError.StreamTruncated({
        message: `the stream ended without data: [DONE] after ${this.chunks} chunk(s); the answer may be incomplete`,
        chunks: this.chunks,
        ...this.requestId()
      })
    }
  }

  private decide(bytes: Uint8Array): void {
    let i = 0
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3
    while (i < bytes.length && isBlank(bytes[i])) i++
    if (i === bytes.length) return
    const first = bytes[i]
    if (first === 123 || first === 91) {
      this.mode = JSON_BODY
      this.hold(bytes)
      return
    }
    this.mode = SSE
    this.keepHead(bytes)
    this.parser.feed(bytes)
  }

  private hold(bytes: Uint8Array): void {
    this.pieces.push(bytes)
    this.size += bytes.length
    if (this.size > this.options.maxEventBytes) {
      this.failure = new NexosError.DecodeError({
        message: `the JSON response body exceeds maxEventBytes (${this.options.maxEventBytes})`,
        excerpt: NexosError.excerpt(this.clean(this.text(concat(this.pieces, this.size).subarray(0, 4096)))),
        ...this.requestId()
      })
      this.pieces = []
    }
  }

  private keepHead(bytes: Uint8Array): void {
    if (this.head === undefined || this.headSize >= headBytes) return
    this.head.push(bytes.length > headBytes ? bytes.subarray(0, headBytes) : bytes)
    this.headSize += bytes.length
  }

  private text(bytes: Uint8Array): string {
    return new TextDecoder("utf-8", { ignoreBOM: false }).decode(bytes)
  }

  private checkNotSse(): void {
    const head = this.head
    this.head = undefined
    if (head === undefined || head.length === 0) return
    const text = this.text(concat(head, this.headSize).subarray(0, headBytes)).trim()
    const lines = text.split(/\r\n|\r|\n/)
    if (lines.every((line) => sseLine.test(line))) return
    const quoted = this.clean(text)
    this.failure = new NexosError.DecodeError({
      message: `the response is not an event stream (no data event); it says: ${
        quoted.length > 200 ? `${quoted.slice(0, 200)}…` : quoted
      }`,
      excerpt: NexosError.excerpt(quoted),
      ...this.requestId()
    })
  }

  private readJson(): void {
    const text = this.text(concat(this.pieces, this.size))
    this.pieces = []
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (e) {
      this.failure = new NexosError.DecodeError({
        message: this.clean(
          `the response is neither an event stream nor valid JSON: ${e instanceof Error ? e.message : String(e)}`
        ),
        excerpt: NexosError.excerpt(this.clean(text)),
        ...this.requestId()
      })
      return
    }
    if (ApiError.isErrorBody(parsed)) {
      const headers = this.options.headers ?? {}
      this.failure = NexosError.fromResponse({
        status: this.options.status ?? 200,
        headers: this.options.requestId === undefined || headers["x-request-id"] !== undefined
          ? headers
          : { ...headers, "x-request-id": this.options.requestId },
        bodyText: text,
        now: this.options.now(),
        ...(this.options.secrets === undefined ? {} : { secrets: this.options.secrets })
      })
      return
    }
    const chunks = chunksOf(parsed)
    if (chunks instanceof DecodeFailure) {
      this.failure = new NexosError.DecodeError({
        message: this.clean(`the JSON response is neither a chat completion, a chunk nor an error: ${chunks.message}`),
        excerpt: NexosError.excerpt(this.clean(text)),
        ...this.requestId()
      })
      return
    }
    for (const chunk of chunks) this.out.push(chunk)
    this.chunks += chunks.length
    this.done = true
  }

  onEvent(event: string, data: string): boolean {
    if (isDone(data)) {
      this.done = true
      return true
    }
    this.head = undefined
    let parsed: unknown
    try {
      parsed = JSON.parse(data)
    } catch (e) {
      const text = this.clean(data)
      this.failure = event === "error"
        ? this.streamError(ApiError.fromText(text), text, text)
        : new NexosError.DecodeError({
          message: `chunk ${this.chunks + 1} is not valid JSON: ${
            this.clean(e instanceof Error ? e.message : String(e))
          }`,
          excerpt: NexosError.excerpt(text),
          ...this.requestId()
        })
      return true
    }
    if (event === "error" || isErrorFrame(parsed)) {
      const text = this.clean(data)
      const body = this.options.secrets === undefined ? parsed : JSON.parse(text)
      this.failure = this.streamError(ApiError.fromBody(body), body, text)
      return true
    }
    const chunk = decodeChunk(parsed)
    if (chunk instanceof DecodeFailure) {
      this.failure = new NexosError.DecodeError({
        message: this.clean(`chunk ${this.chunks + 1} is not a chat completion chunk: ${chunk.message}`),
        excerpt: NexosError.excerpt(this.clean(data)),
        ...this.requestId()
      })
      return true
    }
    this.chunks++
    this.out.push(chunk)
    return false
  }

  onOversize(size: number, head: string): void {
    this.failure = new NexosError.DecodeError({
      message: `an SSE event exceeds maxEventBytes (${this.options.maxEventBytes}); ${size} characters were buffered`,
      excerpt: NexosError.excerpt(this.clean(head)),
      ...this.requestId()
    })
  }

  private streamError(api: ApiError.ApiError, body: unknown, text: string): NexosError.StreamError {
    return new NexosError.StreamError({
      message: api.message,
      body: Bounded.body(body, text),
      ...(api.code === undefined ? {} : { code: api.code }),
      ...(api.type === undefined ? {} : { type: api.type }),
      ...(api.param === undefined ? {} : { param: api.param }),
      ...this.requestId()
    })
  }

  private clean(text: string): string {
    return NexosError.scrub(text, this.options.secrets)
  }

  private requestId(): { readonly requestId?: string } {
    return this.options.requestId === undefined ? {} : { requestId: this.options.requestId }
  }
}
