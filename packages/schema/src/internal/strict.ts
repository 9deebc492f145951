import * as Schema from "effect/Schema"

/** Outgoing objects reject unknown fields. */
export const strictStruct = <Fields extends Schema.Struct.Fields>(fields: Fields, identifier?: string) =>
  Schema.Struct(fields).annotations({
    parseOptions: { onExcessProperty: "error" },
    ...(identifier === undefined ? {} : { identifier })
  })

export const NonEmptyString = Schema.String.pipe(
  Schema.filter((s) => s.trim().length > 0, { message: () => "must not be empty" })
)

export const boundedString = (min: number, max: number) =>
  Schema.String.pipe(
    Schema.filter((s) => s.length >= min && s.length <= max, {
      message: (i) => `must be ${min} to ${max} characters, got ${String(i.actual).length}`
    })
  )

export const Uuid = Schema.String.pipe(
  Schema.filter((s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s), {
    message: (i) => `must be a UUID, got ${JSON.stringify(i.actual)}`
  })
)

export const DateTime = Schema.String.pipe(
  Schema.filter((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s) && Number.isFinite(Date.parse(s)), {
    message: (i) => `must be an ISO 8601 date-time, got ${JSON.stringify(i.actual)}`
  })
)

export const intRange = (min: number, max: number) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isInteger(n) && n >= min && n <= max, {
      message: (i) => `must be an integer from ${min} to ${max}, got ${i.actual}`
    })
  )

export const numberRange = (min: number, max: number) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isFinite(n) && n >= min && n <= max, {
      message: (i) => `must be a number from ${min} to ${max}, got ${i.actual}`
    })
  )

/** A string type with known values that still accepts any other string. */
export type Open<Known extends string> = Known | (string & {})
