import * as Schema from "effect/Schema"

/** Annotations that keep unknown (vendor) fields through decode and encode. */
export const preserveExtras = { parseOptions: { onExcessProperty: "preserve" } } as const

/** A lenient wire object: unknown fields are kept, never rejected. */
export const wireStruct = <Fields extends Schema.Struct.Fields>(fields: Fields) =>
  Schema.Struct(fields).annotations(preserveExtras)

/** An optional field where null and absent mean the same (decoded as absent). */
export const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

/** A field that may be absent or null on the wire and decodes to a default. */
export const withDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { nullable: true, default: value })

/** An optional outgoing field: unset fields are not sent. */
export const field = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })

/** Drops object keys whose value is `undefined`, at every level (JavaScript callers often write `x: undefined`). */
export const stripUndefined = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stripUndefined)
  if (typeof value !== "object" || value === null) return value
  const out: Record<string, unknown> = {}
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) out[key] = stripUndefined(v)
  }
  return out
}
