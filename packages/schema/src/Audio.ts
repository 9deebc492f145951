/**
 * `/v1/audio`: text to speech (the answer is the audio bytes), transcriptions and translations (multipart uploads).
 * The spec types every transcription answer as JSON, also for `text`, `srt` and `vtt`, which are text: the client
 * reads those as text, so `Transcription` carries the text whatever the format.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { boundedString, NonEmptyString, numberRange, strictStruct } from "./internal/strict.js"
import { field, opt, wireStruct, withDefault } from "./internal/wire.js"

/**
 * The voices of `POST /v1/audio/speech`: the spec's speech voices and the ones it lists for chat audio output.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Voice = Schema.Literal(
  "alloy",
  "echo",
  "fable",
  "onyx",
  "nova",
  "shimmer",
  "ash",
  "ballad",
  "coral",
  "sage",
  "verse"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Voice = Schema.Schema.Type<typeof Voice>

/**
 * The audio formats of speech.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SpeechFormat = Schema.Literal("mp3", "opus", "aac", "flac", "wav", "pcm")

/**
 * @since 0.1.0
 * @category models
 */
export type SpeechFormat = Schema.Schema.Type<typeof SpeechFormat>

/**
 * The body of `POST /v1/audio/speech`: `input` is 1 to 4096 characters, `speed` 0.25 to 4.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SpeechRequest = strictStruct({
  model: NonEmptyString,
  input: boundedString(1, 4096),
  voice: Voice,
  response_format: field(SpeechFormat),
  speed: field(numberRange(0.25, 4))
}, "SpeechRequest")

/**
 * @since 0.1.0
 * @category models
 */
export interface SpeechRequest extends Schema.Schema.Type<typeof SpeechRequest> {}

/**
 * The answer formats of transcriptions and translations: JSON ones (`json`, `verbose_json`) and text ones (`text`,
 * `srt`, `vtt`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResponseFormat = Schema.Literal("json", "text", "srt", "verbose_json", "vtt")

/**
 * @since 0.1.0
 * @category models
 */
export type ResponseFormat = Schema.Schema.Type<typeof ResponseFormat>

/**
 * The fields of a transcription besides the file (sent as multipart fields; `timestamp_granularities` goes out as
 * `timestamp_granularities[]`, once per value, and needs `verbose_json`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TranscriptionParams = strictStruct({
  model: NonEmptyString,
  language: field(Schema.String.pipe(
    Schema.filter((s) => /^[a-z]{2}$/.test(s), { message: (i) => `must be an ISO-639-1 code, got ${i.actual}` })
  )),
  prompt: field(Schema.String),
  response_format: field(ResponseFormat),
  temperature: field(numberRange(0, 1)),
  timestamp_granularities: field(Schema.Array(Schema.Literal("word", "segment")))
}, "TranscriptionParams").pipe(
  Schema.filter((p) =>
    p.timestamp_granularities === undefined || p.response_format === "verbose_json" ||
    "timestamp_granularities need response_format verbose_json"
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export interface TranscriptionParams extends Schema.Schema.Type<typeof TranscriptionParams> {}

/**
 * The fields of a translation (into English) besides the file.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TranslationParams = strictStruct({
  model: NonEmptyString,
  prompt: field(Schema.String),
  response_format: field(ResponseFormat),
  temperature: field(numberRange(0, 1))
}, "TranslationParams")

/**
 * @since 0.1.0
 * @category models
 */
export interface TranslationParams extends Schema.Schema.Type<typeof TranslationParams> {}

/**
 * A word with its timing (`verbose_json` with word granularity).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Word = wireStruct({
  word: withDefault(Schema.String, () => ""),
  start: withDefault(Schema.Number, () => 0),
  end: withDefault(Schema.Number, () => 0)
})

/**
 * A segment with its timing and decoding statistics (`verbose_json`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Segment = wireStruct({
  id: opt(Schema.Number),
  seek: opt(Schema.Number),
  start: withDefault(Schema.Number, () => 0),
  end: withDefault(Schema.Number, () => 0),
  text: withDefault(Schema.String, () => ""),
  tokens: opt(Schema.Array(Schema.Number)),
  temperature: opt(Schema.Number),
  avg_logprob: opt(Schema.Number),
  compression_ratio: opt(Schema.Number),
  no_speech_prob: opt(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Segment extends Schema.Schema.Type<typeof Segment> {}

/**
 * A transcription or translation. `text` is the text in every format: the transcript for `json` / `verbose_json` /
 * `text`, the subtitle document for `srt` / `vtt`. `duration` is seconds (the spec sends it as a string; both
 * decode to a number). `format` says which format was asked for.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Transcription = wireStruct({
  text: withDefault(Schema.String, () => ""),
  format: withDefault(ResponseFormat, () => "json" as const),
  model: opt(Schema.String),
  language: opt(Schema.String),
  duration: opt(Schema.Union(Schema.Number, Schema.NumberFromString)),
  words: opt(Schema.Array(Word)),
  segments: opt(Schema.Array(Segment))
}).annotations({ identifier: "Transcription" })

/**
 * @since 0.1.0
 * @category models
 */
export interface Transcription extends Schema.Schema.Type<typeof Transcription> {}

/**
 * Whether a format's answer is JSON (`json`, `verbose_json`) rather than text.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isJsonFormat = (format: ResponseFormat): boolean => format === "json" || format === "verbose_json"
