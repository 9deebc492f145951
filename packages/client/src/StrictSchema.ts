/**
 * Strict structured output from an Effect Schema: the JSON Schema that OpenAI-style strict mode
 * (`response_format: { type: "json_schema", json_schema: { strict: true } }`) accepts, and the decoder that maps the
 * model's answer back to the schema's type. Strict mode wants every property required and
 * `additionalProperties: false`, an object at the root and no open-ended values, which `JSONSchema.make` alone does
 * not give. `make` turns
 *
 * - optional properties into required, nullable ones (`null` from the model decodes as an absent property; a property
 *   that is optional and nullable keeps its `null`);
 * - a non-object root (a string, an array, a union, ...) into `{ value }`;
 * - records into arrays of `{ key, value }` entries, fixed tuples into objects keyed `"0"`, `"1"`, ...;
 * - recursive schemas (`Schema.suspend`) into `$defs` / `$ref` (`#` for the root);
 * - refinements into the keywords strict mode knows (`pattern`, `format`, `minimum`, `maximum`, `multipleOf`,
 *   `minItems`, ...); the others are left to the decoder and described to the model in `description`;
 *
 * and rejects what has no strict JSON form (`Unknown`, `Any`, declared types such as `DateFromSelf`, a struct with a
 * record rest, a tuple with a rest element, `bigint`, symbols) with an `UnsupportedSchema` error naming the path.
 * Transformations are described by their encoded side, so `Schema.Date`, `Schema.NumberFromString` or a
 * `Schema.Class` work as usual.
 *
 * @since 0.1.0
 */
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as internal from "./internal/strictSchema.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@nexos-effect/client/StrictSchema")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A JSON Schema document (plain JSON).
 *
 * @since 0.1.0
 * @category models
 */
export type JsonSchema = { readonly [key: string]: unknown }

/**
 * The `response_format` of a strict JSON Schema request.
 *
 * @since 0.1.0
 * @category models
 */
export type JsonSchemaFormat = Extract<ChatCompletionRequest.ChatCompletionRequest["response_format"], {
  readonly type: "json_schema"
}>

/**
 * The schema has a part that strict mode cannot describe. `path` names it (`$` is the root, `.name` a property,
 * `[*]` an array item, `[string]` a record value, `[0]` a tuple element); `reason` says why and what to use instead.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedSchema extends Schema.TaggedError<UnsupportedSchema>()("UnsupportedSchema", {
  path: Schema.String,
  reason: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `The schema cannot be used for strict structured output at ${this.path}: ${this.reason}`
  }
}

/**
 * Options of `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The `json_schema.name` sent to the API (a-z, A-Z, 0-9, `_`, `-`; at most 64). Default: the schema's
   * identifier (e.g. a `Schema.Class` name), else `"response"`. */
  readonly name?: string
  /** The `json_schema.description`: what the answer is for. Default: the schema's description annotation. */
  readonly description?: string
}

/**
 * A schema ready for strict structured output.
 *
 * @since 0.1.0
 * @category models
 */
export interface StrictSchema<A, I = A> extends Pipeable {
  readonly [TypeId]: TypeId
  /** The schema it was made from. */
  readonly schema: Schema.Schema<A, I>
  readonly name: string
  readonly description: string | undefined
  /** The strict JSON Schema: an object at the root, every property required, `additionalProperties: false`. */
  readonly jsonSchema: JsonSchema
  /** True when the root is not an object and the answer is wrapped as `{ "value": ... }`. */
  readonly wrapped: boolean
  /** The schema of the model's JSON answer: decoding it gives the value of `schema`. */
  readonly wire: Schema.Schema<A, unknown>
}

/**
 * A value as it may look while its JSON text is still arriving: every property optional, at any depth, and nothing
 * validated (strings may be cut short).
 *
 * @since 0.1.0
 * @category models
 */
export type DeepPartial<T> = T extends string | number | boolean | null | undefined | bigint | symbol ? T
  : T extends ReadonlyArray<infer U> ? ReadonlyArray<DeepPartial<U>>
  : { readonly [K in keyof T]?: DeepPartial<T[K]> }

const shapes = new WeakMap<object, internal.Shape>()

const proto = {
  [TypeId]: TypeId,
  pipe(this: unknown) {
    return pipeArguments(this, arguments)
  }
}

const defaultName = (ast: AST.AST): string => {
  const found = Option.getOrUndefined(AST.getIdentifierAnnotation(ast)) ??
    (ast._tag === "Transformation" ? Option.getOrUndefined(AST.getIdentifierAnnotation(ast.to)) : undefined)
  const name = found?.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64)
  return name === undefined || name === "" ? "response" : name
}

/**
 * Whether a value is a `StrictSchema`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isStrictSchema = (u: unknown): u is StrictSchema<unknown, unknown> => Predicate.hasProperty(u, TypeId)

/**
 * Makes the strict JSON Schema and the decoder of `schema`, or says which part of it strict mode cannot take.
 *
 * @example
 * ```ts
 * import * as StrictSchema from "@nexos-effect/client/StrictSchema"
 * import { Either, Schema } from "effect"
 *
 * const Person = Schema.Struct({ name: Schema.String, age: Schema.optional(Schema.Number) })
 * const strict = Either.getOrThrow(StrictSchema.make(Person, { name: "person" }))
 * // strict.jsonSchema.required: ["name", "age"]; age: { anyOf: [{ type: "number" }, { type: "null" }] }
 * StrictSchema.decode(strict, { name: "Ada", age: null }) // Either.right({ name: "Ada" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(
  schema: Schema.Schema<A, I, never>,
  options?: Options
): Either.Either<StrictSchema<A, I>, UnsupportedSchema> => {
  let compiled: internal.Compiled
  try {
    compiled = internal.compile(schema.ast)
  } catch (error) {
    if (error instanceof internal.Unsupported) {
      return Either.left(new UnsupportedSchema({ path: error.path, reason: error.reason }))
    }
    throw error
  }
  const description = options?.description ?? Option.getOrUndefined(AST.getDescriptionAnnotation(schema.ast))
  const self: StrictSchema<A, I> = Object.assign(Object.create(proto), {
    schema,
    name: options?.name ?? defaultName(schema.ast),
    description,
    jsonSchema: compiled.jsonSchema,
    wrapped: compiled.wrapped,
    wire: Schema.make<A, unknown, never>(compiled.wire)
  })
  shapes.set(self, compiled.shape)
  return Either.right(self)
}

/**
 * `make`, throwing the `UnsupportedSchema` error: for schemas defined once at module level.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = <A, I>(schema: Schema.Schema<A, I, never>, options?: Options): StrictSchema<A, I> =>
  Either.getOrThrowWith(make(schema, options), (error) => error)

/**
 * `self` as is when it is already a `StrictSchema`, else `make(self, options)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const from = <A, I>(
  self: Schema.Schema<A, I, never> | StrictSchema<A, I>,
  options?: Options
): Either.Either<StrictSchema<A, I>, UnsupportedSchema> =>
  isStrictSchema(self) ? Either.right(self as StrictSchema<A, I>) : make(self as Schema.Schema<A, I, never>, options)

/**
 * The `response_format` to send: `json_schema` with `strict: true`.
 *
 * @since 0.1.0
 * @category request
 */
export const responseFormat = <A, I>(self: StrictSchema<A, I>): JsonSchemaFormat => ({
  type: "json_schema",
  json_schema: {
    name: self.name,
    ...(self.description === undefined ? {} : { description: self.description }),
    schema: self.jsonSchema,
    strict: true
  }
})

/**
 * The instruction for models without JSON Schema support (`response_format: json_object`): the JSON Schema the
 * answer must follow, as the nexos Python SDK's `set_response_structure` words it.
 *
 * @since 0.1.0
 * @category request
 */
export const instruction = <A, I>(self: StrictSchema<A, I>): string =>
  `Please provide a response in the following JSON format (a JSON object that follows this JSON Schema; JSON only, no other text):\n${
    JSON.stringify(self.jsonSchema, null, 2)
  }`

/**
 * Decodes the model's answer (parsed JSON) to the schema's type.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode: {
  (json: unknown): <A, I>(self: StrictSchema<A, I>) => Either.Either<A, ParseResult.ParseError>
  <A, I>(self: StrictSchema<A, I>, json: unknown): Either.Either<A, ParseResult.ParseError>
} = dual(
  2,
  <A, I>(self: StrictSchema<A, I>, json: unknown): Either.Either<A, ParseResult.ParseError> =>
    Schema.decodeUnknownEither(self.wire, { errors: "all" })(json)
)

/**
 * Maps the model's answer to the encoded form of the original schema (absent optionals instead of nulls, the root
 * unwrapped, records and tuples restored), validating it: for code that decodes with the original schema itself.
 *
 * @since 0.1.0
 * @category decoding
 */
export const toEncoded: {
  (json: unknown): <A, I>(self: StrictSchema<A, I>) => Either.Either<I, ParseResult.ParseError>
  <A, I>(self: StrictSchema<A, I>, json: unknown): Either.Either<I, ParseResult.ParseError>
} = dual(
  2,
  <A, I>(self: StrictSchema<A, I>, json: unknown): Either.Either<I, ParseResult.ParseError> =>
    Either.flatMap(decode(self, json), Schema.encodeEither(self.schema))
)

/**
 * A partial answer (JSON parsed from an incomplete text) mapped to the encoded shape of the original schema, best
 * effort and unvalidated: the root unwrapped, `null`s of optional properties dropped, record entries and tuple
 * objects restored. Unchanged subtrees keep their identity between calls.
 *
 * @since 0.1.0
 * @category decoding
 */
export const partial: {
  (json: unknown): <A, I>(self: StrictSchema<A, I>) => DeepPartial<I> | undefined
  <A, I>(self: StrictSchema<A, I>, json: unknown): DeepPartial<I> | undefined
} = dual(
  2,
  <A, I>(self: StrictSchema<A, I>, json: unknown): DeepPartial<I> | undefined => {
    const shape = shapes.get(self)
    return (shape === undefined ? json : internal.normalize(shape, json)) as DeepPartial<I> | undefined
  }
)
