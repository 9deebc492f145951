import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Multipart from "@effect/platform/Multipart"
import * as Audio from "@nexos-effect/schema/Audio"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Images from "@nexos-effect/schema/Images"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { Answer, ErrorBody } from "./files.js"
import * as Hash from "./hash.js"

export interface MediaConfig {
  readonly errorBody: ErrorBody
  readonly created: number
  /** Called with what a multipart request carried (recorded as the request's body). */
  readonly onMultipart: (summary: unknown) => void
}

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })
const audioPrefix = "MOCKAUDIO "
/** Bytes of mock audio per character of speech input. */
const bytesPerChar = 1024
const slice = 64 * 1024

const jsonAnswer = (status: number, body: unknown, headers: Record<string, string>): Answer => ({
  _tag: "Json",
  status,
  headers,
  body: JSON.stringify(body)
})

const invalid = (
  config: MediaConfig,
  error: ReadonlyArray<ChatCompletionRequest.Issue>,
  headers: Record<string, string>
) =>
  jsonAnswer(
    400,
    config.errorBody(400, ChatCompletionRequest.formatIssues(error), error[0]?.path ?? null, "invalid_value"),
    headers
  )

const validator = <A, I>(schema: Schema.Schema<A, I>) => {
  const validate = Schema.validateEither(schema, { errors: "all" })
  return (u: unknown) => Either.mapLeft(validate(u), ChatCompletionRequest.issuesOf)
}

const validateSpeech = validator(Audio.SpeechRequest)
const validateImages = validator(Images.ImageGenerationRequest)

/**
 * Mock speech: a header line naming the format, voice and speed, the input text, then filler bytes, about 1 KiB
 * per input character, sent in slices. A transcription of these bytes gives the input back.
 */
const speech = (config: MediaConfig, body: Either.Either<unknown, string>, headers: Record<string, string>): Answer => {
  if (Either.isLeft(body)) {
    return jsonAnswer(400, config.errorBody(400, `We could not parse the JSON body: ${body.left}`, null), headers)
  }
  const valid = validateSpeech(body.right)
  if (Either.isLeft(valid)) return invalid(config, valid.left, headers)
  const request = valid.right
  const head = encoder.encode(
    `${audioPrefix}${request.response_format ?? "mp3"} ${request.voice} ${request.speed ?? 1}\n${request.input}\n`
  )
  const total = Math.max(head.length, request.input.length * bytesPerChar)
  const filler = new Uint8Array(slice)
  for (let i = 0; i < filler.length; i++) filler[i] = (i * 31 + request.input.length) & 0xff
  const pieces = Stream.suspend(() => {
    let sent = 0
    return Stream.concat(
      Stream.succeed(head),
      Stream.repeatEffectOption(Effect.suspend(() => {
        const left = total - head.length - sent
        if (left <= 0) return Effect.fail(Option.none())
        const n = Math.min(left, slice)
        sent += n
        return Effect.succeed(n === slice ? filler : filler.subarray(0, n))
      }))
    )
  })
  return {
    _tag: "Response",
    response: HttpServerResponse.stream(pieces, {
      status: 200,
      headers: { ...headers, "content-length": String(total) },
      contentType: "application/octet-stream"
    })
  }
}

const asText = (bytes: Uint8Array): string | undefined => {
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** What a mock "hears" in an audio file: the input of mock speech, a text file's text, or a count of bytes. */
const heard = (bytes: Uint8Array): string => {
  const prefix = encoder.encode(audioPrefix)
  if (bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)) {
    const first = bytes.indexOf(10)
    const second = first < 0 ? -1 : bytes.indexOf(10, first + 1)
    return new TextDecoder().decode(bytes.subarray(first + 1, second < 0 ? bytes.length : second))
  }
  const text = asText(bytes.subarray(0, Math.min(bytes.length, 64 * 1024)))
  return text !== undefined && !/[\u0000-\u0008\u000e-\u001f]/.test(text)
    ? text.trim()
    : `(${bytes.length} bytes of audio)`
}

const clock = (seconds: number, comma: boolean): string => {
  const ms = Math.round(seconds * 1000)
  const pad = (n: number, w = 2) => String(n).padStart(w, "0")
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${
    comma ? "," : "."
  }${pad(ms % 1000, 3)}`
}

const transcribe = (
  text: string,
  language: string,
  model: string,
  format: Audio.ResponseFormat,
  wordLevel: boolean,
  headers: Record<string, string>
): Answer => {
  const words = text.split(/\s+/).filter((w) => w !== "")
  const timed = words.map((word, i) => ({ word, start: i * 0.4, end: i * 0.4 + 0.35 }))
  const sentences = text.split(/(?<=[.!?])\s+/).filter((s) => s.trim() !== "")
  let at = 0
  const segments = sentences.map((sentence, id) => {
    const count = sentence.split(/\s+/).filter((w) => w !== "").length
    const segment = {
      id,
      seek: 0,
      start: at,
      end: at + count * 0.4,
      text: sentence,
      tokens: sentence.split(/\s+/).map((_, k) => 1000 + k),
      temperature: 0,
      avg_logprob: -0.2,
      compression_ratio: 1.2,
      no_speech_prob: 0.01
    }
    at = segment.end
    return segment
  })
  const duration = (words.length * 0.4).toFixed(2)
  const plain = (body: string, type: string): Answer => ({
    _tag: "Response",
    response: HttpServerResponse.text(body, { status: 200, headers, contentType: type })
  })
  switch (format) {
    case "json":
      return jsonAnswer(200, { text, model }, headers)
    case "verbose_json":
      return jsonAnswer(200, {
        language,
        duration,
        text,
        ...(wordLevel ? { words: timed } : {}),
        segments,
        model
      }, headers)
    case "text":
      return plain(text, "text/plain; charset=utf-8")
    case "srt":
      return plain(
        segments.map((s, i) => `${i + 1}\n${clock(s.start, true)} --> ${clock(s.end, true)}\n${s.text}\n`).join("\n"),
        "application/x-subrip; charset=utf-8"
      )
    case "vtt":
      return plain(
        `WEBVTT\n\n${
          segments.map((s) => `${clock(s.start, false)} --> ${clock(s.end, false)}\n${s.text}\n`).join("\n")
        }`,
        "text/vtt; charset=utf-8"
      )
  }
}

const listen = (
  config: MediaConfig,
  request: HttpServerRequest.HttpServerRequest,
  translate: boolean,
  headers: Record<string, string>
): Effect.Effect<Answer> =>
  Effect.gen(function*() {
    const fields: Record<string, Array<string>> = {}
    let file: { name: string; bytes: Uint8Array } | undefined
    yield* Stream.runForEach(request.multipartStream, (part) => {
      if (Multipart.isField(part)) return Effect.sync(() => void (fields[part.key] ??= []).push(part.value))
      if (Multipart.isFile(part)) {
        return Effect.map(part.contentEffect, (bytes) => {
          if (part.key === "file") file = { name: part.name, bytes }
        })
      }
      return Effect.void
    }).pipe(Multipart.withFieldMimeTypes([]), Effect.catchAll(() => Effect.void))
    const one = (name: string) => fields[name]?.[0]
    config.onMultipart({
      fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.length === 1 ? v[0] : v])),
      files: file === undefined ? [] : [{ key: "file", filename: file.name, bytes: file.bytes.length }]
    })
    const fail = (message: string, param: string, code = "invalid_value") =>
      jsonAnswer(400, config.errorBody(400, message, param, code), headers)
    if (file === undefined) return fail("Missing required parameter: 'file'", "file", "missing_required_parameter")
    const model = one("model")
    if (model === undefined || model === "") {
      return fail("Missing required parameter: 'model'", "model", "missing_required_parameter")
    }
    const format = one("response_format") ?? "json"
    if (!Schema.is(Audio.ResponseFormat)(format)) return fail(`Invalid response_format: ${format}`, "response_format")
    const granularities = fields["timestamp_granularities[]"] ?? []
    if (granularities.length > 0 && format !== "verbose_json") {
      return fail("timestamp_granularities[] needs response_format verbose_json", "timestamp_granularities[]")
    }
    const language = translate ? "english" : one("language") ?? "english"
    const text = heard(file.bytes)
    return transcribe(
      translate ? `[English] ${text}` : text,
      language,
      model,
      format,
      granularities.includes("word"),
      headers
    )
  })

/** A 1x1 transparent PNG. */
const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

const images = (config: MediaConfig, body: Either.Either<unknown, string>, headers: Record<string, string>): Answer => {
  if (Either.isLeft(body)) {
    return jsonAnswer(400, config.errorBody(400, `We could not parse the JSON body: ${body.left}`, null), headers)
  }
  const valid = validateImages(body.right)
  if (Either.isLeft(valid)) return invalid(config, valid.left, headers)
  const request = valid.right
  const data = Array.from({ length: request.n ?? 1 }, (_, i) => {
    const revised_prompt = `A ${request.style ?? "vivid"} ${request.size ?? "1024x1024"} image of ${request.prompt}`
    return request.response_format === "b64_json"
      ? { b64_json: png, revised_prompt }
      : {
        url: `https://images.mock.nexos.invalid/${Hash.digest(`${request.prompt}\n${i}`)}.png`,
        revised_prompt
      }
  })
  return jsonAnswer(200, { created: config.created, data }, headers)
}

/** Serves `/v1/audio/*` and `/v1/images/generations`; `undefined` for other paths. */
export const route = (
  config: MediaConfig,
  request: HttpServerRequest.HttpServerRequest,
  path: string,
  body: Either.Either<unknown, string>,
  headers: Record<string, string>
): Effect.Effect<Answer> | undefined => {
  if (request.method !== "POST") return undefined
  switch (path) {
    case "/v1/audio/speech":
      return Effect.succeed(speech(config, body, headers))
    case "/v1/audio/transcriptions":
      return listen(config, request, false, headers)
    case "/v1/audio/translations":
      return listen(config, request, true, headers)
    case "/v1/images/generations":
      return Effect.succeed(images(config, body, headers))
    default:
      return undefined
  }
}
