import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as NexosError from "../NexosError.js"
import * as StrictSchema from "../StrictSchema.js"
import * as StructuredOutput from "../StructuredOutput.js"

type Request = ChatCompletionRequest.ChatCompletionRequest

const split = <O extends StructuredOutput.Options>(options: O | undefined) => {
  if (options === undefined) return { structured: {}, mode: undefined, rest: undefined }
  const { description, mode, name, ...rest } = options
  return {
    structured: { ...(description === undefined ? {} : { description }), ...(name === undefined ? {} : { name }) },
    mode,
    rest
  }
}

export const parse = <O>(
  create: (request: Request, options?: O) => Effect.Effect<ChatCompletion.ChatCompletion, NexosError.NexosError>
) =>
<A, I>(
  request: Request,
  schema: Schema.Schema<A, I, never> | StrictSchema.StrictSchema<A, I>,
  options?: StructuredOutput.Options & O
): Effect.Effect<
  StructuredOutput.Parsed<A>,
  NexosError.NexosError | StructuredOutput.StructuredError | StrictSchema.UnsupportedSchema
> => {
  const { mode, rest, structured } = split(options)
  return Either.match(StrictSchema.from(schema, structured), {
    onLeft: Effect.fail,
    onRight: (strict) =>
      Effect.flatMap(
        create(StructuredOutput.prepare(request, strict, mode), rest as O | undefined),
        (completion) => StructuredOutput.decodeCompletion(completion, strict)
      )
  })
}

export const parseStream = <O>(
  streamChunks: (
    request: Request,
    options?: O
  ) => Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, NexosError.NexosError>
) =>
<A, I>(
  request: Request,
  schema: Schema.Schema<A, I, never> | StrictSchema.StrictSchema<A, I>,
  options?: StructuredOutput.Options & O
): Stream.Stream<
  StructuredOutput.StreamEvent<A, I>,
  NexosError.NexosError | StructuredOutput.StructuredError | StrictSchema.UnsupportedSchema
> => {
  const { mode, rest, structured } = split(options)
  return Either.match(StrictSchema.from(schema, structured), {
    onLeft: Stream.fail,
    onRight: (strict) =>
      streamChunks(StructuredOutput.prepare(request, strict, mode), rest as O | undefined).pipe(
        StructuredOutput.fromChunks(strict)
      )
  })
}
