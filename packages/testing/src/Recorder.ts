/**
 * Record and replay. `Recorder.layer({ dir })` wraps the `HttpClient.HttpClient` of a program so that every response
 * body (JSON or SSE) is also captured as it streams by and written to `dir/<key>.json`, where the key is a hash of
 * the method, the API path and the canonical request body. A body is written when it has been read to its end, or,
 * for an event stream, once its `data: [DONE]` went by (the client stops reading there); a body the reader
 * abandoned earlier is not written, so a replay never serves a cut-off answer. Capture a session against the real gateway once, then start
 * `MockGateway.layer({ replay: { dir } })` and the same requests get the same bytes back, forever and offline.
 *
 * @since 0.1.0
 */
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Hash from "./internal/hash.js"

/**
 * One recorded exchange. `response.body` is the body text exactly as received (SSE or JSON); the request body is
 * kept for reading only (the key already identifies it).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Recording = Schema.Struct({
  version: Schema.Literal(1),
  key: Schema.String,
  request: Schema.Struct({
    method: Schema.String,
    path: Schema.String,
    body: Schema.Unknown
  }),
  response: Schema.Struct({
    status: Schema.Int,
    headers: Schema.Record({ key: Schema.String, value: Schema.String }),
    body: Schema.String
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Recording extends Schema.Schema.Type<typeof Recording> {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The directory the recordings are written to (created when missing). */
  readonly dir: string
  /** Which requests to record (default: all). */
  readonly filter?: (request: HttpClientRequest.HttpClientRequest) => boolean
}

/**
 * The recording key of a request: a hash of the method, the path from its last `/v1/` on (so a base URL with a
 * prefix still matches) and the body with object keys sorted.
 *
 * @since 0.1.0
 * @category keys
 */
export const key = (method: string, pathAndQuery: string, body: string): string =>
  Hash.requestKey(method, pathAndQuery, body)

/**
 * The file a recording is stored in.
 *
 * @since 0.1.0
 * @category keys
 */
export const file = (dir: string, key: string): string => Path.join(dir, `${key}.json`)

const dropped = new Set([
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "set-cookie",
  "date"
])

const decoder = new TextDecoder()

const sseDone = /(?:^|[\r\n])data:[ \t]*\[DONE\][ \t]*(?:[\r\n]|$)/

const bodyText = (body: HttpBody.HttpBody): string =>
  body._tag === "Uint8Array"
    ? decoder.decode(body.body)
    : body._tag === "Raw" && typeof body.body === "string"
    ? body.body
    : ""

const pathOf = (request: HttpClientRequest.HttpClientRequest): string =>
  Either.match(UrlParams.makeUrl(request.url, request.urlParams, Option.none()), {
    onLeft: () => request.url,
    onRight: (url) => url.pathname + url.search
  })

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/**
 * Writes a recording to `dir`.
 *
 * @since 0.1.0
 * @category files
 */
export const write = (dir: string, recording: Recording): Effect.Effect<void> =>
  Effect.tryPromise(async () => {
    await Fs.mkdir(dir, { recursive: true })
    const target = file(dir, recording.key)
    const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
    await Fs.writeFile(temp, JSON.stringify(recording, null, 2))
    await Fs.rename(temp, target)
  }).pipe(
    Effect.catchAll((error) => Effect.logWarning(`Recorder: could not write ${recording.key}`, error.error))
  )

const decodeRecording = Schema.decodeUnknownOption(Recording)

/**
 * Reads the recording stored under `key`, if there is one.
 *
 * @since 0.1.0
 * @category files
 */
export const read = (dir: string, key: string): Effect.Effect<Option.Option<Recording>> =>
  Effect.promise(() => Fs.readFile(file(dir, key), "utf8").catch(() => undefined)).pipe(
    Effect.map((text) => {
      if (text === undefined) return Option.none()
      try {
        return decodeRecording(JSON.parse(text))
      } catch {
        return Option.none()
      }
    })
  )

const tee = (
  options: Options,
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse
): HttpClientResponse.HttpClientResponse => {
  if (request.method === "HEAD" || response.status === 204 || response.status === 304) return response
  const path = pathOf(request)
  const requestBody = bodyText(request.body)
  const chunks: Array<Uint8Array> = []
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (!dropped.has(name.toLowerCase())) headers[name.toLowerCase()] = value
  }
  const recordingKey = key(request.method, path, requestBody)
  const sse = (headers["content-type"] ?? "").toLowerCase().startsWith("text/event-stream")
  let ended = false
  const save = Effect.suspend(() => {
    const text = decoder.decode(concat(chunks))
    if (!ended && !(sse && sseDone.test(text))) {
      return Effect.logDebug(`Recorder: ${recordingKey} not written, its body was not read to the end`)
    }
    return write(options.dir, {
      version: 1,
      key: recordingKey,
      request: { method: request.method, path: Hash.apiPath(path), body: parsed(requestBody) },
      response: { status: response.status, headers, body: text }
    })
  })
  const body = response.stream.pipe(
    Stream.mapChunks((chunk) => {
      for (const c of chunk) chunks.push(c)
      return chunk
    }),
    Stream.onEnd(Effect.sync(() => {
      ended = true
    })),
    Stream.ensuring(save)
  )
  return HttpClientResponse.fromWeb(
    request,
    new Response(Stream.toReadableStream(body), { status: response.status, headers: response.headers })
  )
}

/**
 * Makes a client record every response body it receives to `options.dir` (the responses themselves are unchanged
 * and still stream).
 *
 * @since 0.1.0
 * @category combinators
 */
export const transform =
  (options: Options) => <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
    HttpClient.transform(client, (effect, request) =>
      options.filter === undefined || options.filter(request)
        ? Effect.map(effect, (response) => tee(options, request, response))
        : effect)

/**
 * A layer that replaces the `HttpClient.HttpClient` below it with a recording one. Provide the real transport to it:
 * `Recorder.layer({ dir }).pipe(Layer.provide(NodeHttpClient.layerUndici))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, transform(options)))
