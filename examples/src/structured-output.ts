/**
 * Structured output: describe the answer with an Effect Schema and get a typed value back.
 * `chat.completions.parse(request, schema)` sends the strict JSON Schema made by `StrictSchema` (optional fields
 * become required-and-nullable, `additionalProperties: false`) and decodes the answer, absent optionals included.
 * When the answer is not the value, the failure says why, each with the raw text: `Refusal`, `Truncated` (the token
 * limit cut the JSON), `ContentFiltered`, `OutputMismatch`. `parseStream` shows the value while its JSON grows, and
 * `mode: "json_object"` serves models without JSON Schema support (the schema goes into an instruction).
 *
 * Run alone: `node examples/dist/structured-output.js`
 */
import { NexosClient, StrictSchema, type StructuredOutput } from "@nexos-effect/client"
import { Console, Effect, Schema, Stream } from "effect"
import * as Backend from "./backend.js"

const City = Schema.Struct({
  name: Schema.String,
  country: Schema.String.annotations({ description: "ISO 3166-1 alpha-2 code" }),
  population: Schema.optional(Schema.Int.pipe(Schema.positive())),
  landmarks: Schema.Array(Schema.Struct({ name: Schema.String, built: Schema.optional(Schema.Int) }))
}).annotations({ identifier: "City", description: "A city and a few of its landmarks" })

const question = {
  model: Backend.model,
  messages: [{ role: "user" as const, content: "Describe Vilnius: its country and three landmarks." }]
}

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient

  // The schema the API sees: every property required, optionals nullable, no extra properties.
  const strict = StrictSchema.unsafeMake(City)
  const properties = strict.jsonSchema.properties as Record<string, unknown>
  yield* Console.log(`json_schema "${strict.name}", required: ${JSON.stringify(strict.jsonSchema.required)}`)
  yield* Console.log(`population on the wire: ${JSON.stringify(properties.population)}`)

  // 1. A typed value: `city` is `typeof City.Type`, decoded and validated.
  const { completion, value: city } = yield* nexos.chat.completions.parse(question, strict)
  yield* Console.log(`${city.name} (${city.country}): ${city.landmarks.map((l) => l.name).join(", ")}`)
  yield* Console.log(`population: ${city.population ?? "(not given)"}, tokens: ${completion.usage?.total_tokens}`)

  // 2. Failures are tagged: here the token limit cuts the JSON short.
  const cut = yield* nexos.chat.completions.parse({ ...question, max_completion_tokens: 8 }, strict).pipe(
    Effect.map(() => "no failure"),
    Effect.catchTags({
      Truncated: (e) => Effect.succeed(`Truncated after ${JSON.stringify(e.text)}`),
      Refusal: (e) => Effect.succeed(`Refusal: ${e.refusal}`),
      ContentFiltered: (e) => Effect.succeed(`ContentFiltered: ${e.text}`),
      OutputMismatch: (e) => Effect.succeed(`OutputMismatch: ${e.reason}`)
    })
  )
  yield* Console.log(`with max_completion_tokens 8: ${cut}`)

  // 3. Streaming: partial values (unvalidated) as the JSON grows, then the validated value.
  const partials: Array<StructuredOutput.Partial<typeof City.Encoded>> = []
  const streamed = yield* nexos.chat.completions.parseStream(question, strict).pipe(
    Stream.tap((event) =>
      event._tag === "Partial"
        ? Effect.sync(() => void partials.push(event))
        : Console.log(`streamed: ${event.value.name}, ${event.value.landmarks.length} landmark(s)`)
    ),
    Stream.runLast
  )
  const growth = partials.map((p) => `${p.value.name ?? ""}|${p.value.landmarks?.length ?? 0}`)
  yield* Console.log(
    `${partials.length} partial values, e.g. name|landmarks: ${[...new Set(growth)].slice(0, 6).join("  ")}`
  )

  // 4. json_object mode for models without JSON Schema support: the schema travels in an instruction.
  const viaInstruction = yield* nexos.chat.completions.parse(question, strict, { mode: "json_object" })
  yield* Console.log(`json_object mode: ${viaInstruction.value.name} (${viaInstruction.value.country})`)

  return {
    city,
    cut,
    partials: partials.length,
    streamed: streamed._tag === "Some" && streamed.value._tag === "Complete" ? streamed.value.value : undefined,
    viaInstruction: viaInstruction.value
  }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
