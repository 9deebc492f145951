import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Audio from "@nexos-effect/schema/Audio"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Stream from "effect/Stream"
import type * as NexosClient from "../NexosClient.js"
import type * as NexosError from "../NexosError.js"
import type * as Upload from "../Upload.js"
import * as Endpoint from "./endpoint.js"
import { sendMultipart } from "./files.js"
import type * as Multipart from "./multipart.js"
import * as Transport from "./transport.js"

/** `/v1/audio`: speech, transcriptions and translations. */
export interface Service {
  /** Text to speech: the audio bytes as they arrive (write them to a file with `Stream.run(fs.sink(path))`). */
  readonly speech: (
    request: Audio.SpeechRequest,
    options?: NexosClient.RequestOptions
  ) => Stream.Stream<Uint8Array, NexosError.NexosError>
  readonly transcriptions: {
    /** Transcribes an audio file (multipart, streamed), in any `response_format`. */
    readonly create: <E = never, R = never>(
      file: Upload.Upload<E, R>,
      params: Audio.TranscriptionParams,
      options?: NexosClient.RequestOptions
    ) => Effect.Effect<Audio.Transcription, NexosError.NexosError | E, R>
  }
  readonly translations: {
    /** Translates an audio file into English text, in any `response_format`. */
    readonly create: <E = never, R = never>(
      file: Upload.Upload<E, R>,
      params: Audio.TranslationParams,
      options?: NexosClient.RequestOptions
    ) => Effect.Effect<Audio.Transcription, NexosError.NexosError | E, R>
  }
}

const validateSpeech = Endpoint.validator(Audio.SpeechRequest, "speech request")
const validateTranscription = Endpoint.validator(Audio.TranscriptionParams, "transcription request")
const validateTranslation = Endpoint.validator(Audio.TranslationParams, "translation request")
const decodeTranscription = ParseResult.decodeUnknownEither(Audio.Transcription)

const fieldsOf = (params: Audio.TranscriptionParams | Audio.TranslationParams): Multipart.Fields => {
  const fields: Array<readonly [string, string]> = []
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (Array.isArray(value)) { for (const item of value) fields.push([`${name}[]`, String(item)]) }
    else fields.push([name, String(value)])
  }
  return fields
}

/** Reads a transcription in the asked format: JSON formats decode, text formats are the body (also when a gateway
 * wraps them in JSON, as the spec types them). */
const readTranscription = (config: Transport.ResolvedConfig, format: Audio.ResponseFormat) =>
(
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<Audio.Transcription, NexosError.NexosError> =>
  Effect.flatMap(Endpoint.readText(config)(response), (text) => {
    let json: unknown = undefined
    try {
      json = JSON.parse(text)
    } catch {
      if (Audio.isJsonFormat(format)) {
        return Effect.fail(Endpoint.decodeError(config, response, `The ${format} transcription is not JSON`, text))
      }
    }
    const body = Audio.isJsonFormat(format) || (typeof json === "object" && json !== null && !Array.isArray(json))
      ? { ...(json as object), format }
      : { text: typeof json === "string" ? json : text, format }
    return Either.match(decodeTranscription(body), {
      onLeft: (error) =>
        Effect.fail(
          Endpoint.decodeError(
            config,
            response,
            `The transcription does not have the expected shape: ${ParseResult.TreeFormatter.formatIssueSync(error)}`,
            text
          )
        ),
      onRight: Effect.succeed
    })
  })

export const make = (ctx: Endpoint.Context): Service => {
  const { config } = ctx

  const speech = (request: Audio.SpeechRequest, options?: NexosClient.RequestOptions) =>
    Stream.unwrap(
      Either.match(validateSpeech(request), {
        onLeft: (error) => Effect.fail(error),
        onRight: (valid) =>
          ctx.execute(
            (overrides) =>
              HttpClientRequest.setHeader(
                Transport.buildRequest(config, "POST", "/audio/speech", valid, overrides),
                "accept",
                "*/*"
              ),
            options,
            (response) => Effect.succeed(Endpoint.byteStream(config, options, response, "speech audio"))
          )
      }).pipe(Endpoint.span("audio.speech", { "gen_ai.request.model": request.model }))
    )

  const multipart = <P extends Audio.TranscriptionParams | Audio.TranslationParams>(
    path: string,
    operation: string,
    validate: (params: unknown) => Either.Either<P, NexosError.InvalidRequest>
  ) =>
  <E = never, R = never>(
    file: Upload.Upload<E, R>,
    params: P,
    options?: NexosClient.RequestOptions
  ): Effect.Effect<Audio.Transcription, NexosError.NexosError | E, R> =>
    Either.match(validate(params), {
      onLeft: (error) => Effect.fail(error),
      onRight: (valid) =>
        sendMultipart(
          ctx,
          path,
          fieldsOf(valid),
          file,
          options,
          readTranscription(config, valid.response_format ?? "json")
        )
    }).pipe(Endpoint.span(operation, { "gen_ai.request.model": params.model }))

  return {
    speech,
    transcriptions: { create: multipart("/audio/transcriptions", "audio.transcriptions", validateTranscription) },
    translations: { create: multipart("/audio/translations", "audio.translations", validateTranslation) }
  }
}
