import type * as Batch from "@nexos-effect/client/Batch"
import * as NexosError from "@nexos-effect/client/NexosError"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const ErrorSchema = NexosError.NexosError

const encodeError = Schema.encodeSync(ErrorSchema)
const decodeError = Schema.decodeUnknownEither(ErrorSchema)
const decodeCompletion = Schema.decodeUnknownEither(ChatCompletion.ChatCompletion)
const decodeEmbeddings = Schema.decodeUnknownEither(Embeddings.EmbeddingsResponse)

const decodeValue = (
  value: unknown
): Either.Either<ChatCompletion.ChatCompletion | Embeddings.EmbeddingsResponse, ParseResult.ParseError> =>
  typeof value === "object" && value !== null && "data" in value && !("choices" in value)
    ? decodeEmbeddings(value)
    : decodeCompletion(value)

/** What the results table stores for a finished key. */
export interface Stored {
  readonly attempts: number
  readonly startedAt?: number | undefined
  readonly finishedAt?: number | undefined
  readonly value?: unknown
  readonly meta?: ResponseMeta.ResponseMeta | undefined
  readonly error?: unknown
}

/** The JSON form of a finished result (`Succeeded` or `Failed`). */
export const encode = (result: Batch.Result<unknown>): Stored => {
  const times = { attempts: result.attempts, startedAt: result.startedAt, finishedAt: result.finishedAt }
  switch (result.outcome._tag) {
    case "Succeeded":
      return { ...times, value: JSON.parse(JSON.stringify(result.outcome.value)), meta: result.outcome.meta }
    case "Failed":
      return { ...times, error: encodeError(result.outcome.error) }
    default:
      throw new TypeError(`only finished results are stored, got ${result.outcome._tag}`)
  }
}

/** The result back from its JSON form; a row that no longer decodes is a `Failed` with a `DecodeError`. */
export const decode = (
  key: string,
  index: number,
  status: "succeeded" | "failed",
  stored: Stored
): Batch.Result<ChatCompletion.ChatCompletion | Embeddings.EmbeddingsResponse> => {
  const times = {
    key,
    index,
    attempts: stored.attempts,
    ...(stored.startedAt === undefined ? {} : { startedAt: stored.startedAt }),
    ...(stored.finishedAt === undefined ? {} : { finishedAt: stored.finishedAt })
  }
  const corrupt = (error: ParseResult.ParseError) =>
    ({
      ...times,
      outcome: {
        _tag: "Failed",
        error: new NexosError.DecodeError({
          message: `stored result of key ${JSON.stringify(key)} does not decode: ${error.message}`,
          excerpt: NexosError.excerpt(JSON.stringify(stored))
        })
      }
    }) as const
  if (status === "succeeded") {
    return Either.match(decodeValue(stored.value), {
      onLeft: corrupt,
      onRight: (value) => ({
        ...times,
        outcome: {
          _tag: "Succeeded",
          value: stored.meta === undefined ? value : ResponseMeta.attach(value, stored.meta),
          meta: stored.meta
        }
      })
    })
  }
  return Either.match(decodeError(stored.error), {
    onLeft: corrupt,
    onRight: (error) => ({ ...times, outcome: { _tag: "Failed", error } })
  })
}
