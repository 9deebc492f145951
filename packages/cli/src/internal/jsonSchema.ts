import * as Schema from "effect/Schema"

export class Unsupported {
  constructor(readonly path: string, readonly reason: string) {}
}

type Json = { readonly [key: string]: unknown }

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

const isPrimitive = (u: unknown): u is string | number | boolean | null =>
  u === null || typeof u === "string" || typeof u === "number" || typeof u === "boolean"

const literals = (values: ReadonlyArray<unknown>, path: string): Schema.Schema<any> => {
  if (values.length === 0) throw new Unsupported(path, "an empty enum accepts nothing")
  if (!values.every(isPrimitive)) throw new Unsupported(path, "enum values must be strings, numbers, booleans or null")
  return Schema.Literal(...(values as Array<string | number | boolean | null>))
}

const described = (schema: Schema.Schema<any>, node: Json): Schema.Schema<any> =>
  typeof node.description === "string" ? schema.annotations({ description: node.description }) : schema

/**
 * A JSON Schema (the subset strict structured output uses: `type`, `properties`, `required`, `items`, `enum`,
 * `const`, `anyOf`/`oneOf`, `$ref` into `$defs`/`definitions`, `additionalProperties` as a schema) as an Effect
 * Schema that checks an answer's shape. Validation keywords (`pattern`, `minimum`, `format`, ...) are not checked.
 */
export const toSchema = (root: unknown): Schema.Schema<any> => {
  const defs = new Map<string, Schema.Schema<any>>()
  const convert = (node: unknown, path: string): Schema.Schema<any> => {
    if (node === true || (isObject(node) && Object.keys(node).length === 0)) return Schema.Unknown
    if (!isObject(node)) throw new Unsupported(path, "a schema must be a JSON object")
    if (typeof node.$ref === "string") return ref(node.$ref, path)
    if (node.const !== undefined) return described(literals([node.const], path), node)
    if (Array.isArray(node.enum)) return described(literals(node.enum, path), node)
    const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined
    if (union !== undefined) {
      const members = union.map((member, i) => convert(member, `${path}.anyOf[${i}]`))
      return described(members.length === 1 ? members[0] : Schema.Union(...members), node)
    }
    const type = node.type
    if (Array.isArray(type)) {
      const members = type.map((t) => convert({ ...node, type: t }, path))
      return members.length === 1 ? members[0] : Schema.Union(...members)
    }
    switch (type) {
      case "string":
        return described(Schema.String, node)
      case "number":
        return described(Schema.Number, node)
      case "integer":
        return described(Schema.Int, node)
      case "boolean":
        return described(Schema.Boolean, node)
      case "null":
        return described(Schema.Null, node)
      case "array":
        return described(
          Schema.Array(node.items === undefined ? Schema.Unknown : convert(node.items, `${path}[*]`)),
          node
        )
      case "object":
        return described(object(node, path), node)
      case undefined:
        throw new Unsupported(path, "no \"type\" (nor enum, const, anyOf or $ref)")
      default:
        throw new Unsupported(path, `unknown type ${JSON.stringify(type)}`)
    }
  }
  const object = (node: Json, path: string): Schema.Schema<any> => {
    const properties = isObject(node.properties) ? node.properties : {}
    const required = new Set(Array.isArray(node.required) ? node.required.filter((r) => typeof r === "string") : [])
    const fields: Record<string, Schema.Schema<any> | Schema.optional<Schema.Schema<any>>> = {}
    for (const [name, value] of Object.entries(properties)) {
      const field = convert(value, `${path}.${name}`)
      fields[name] = required.has(name) ? field : Schema.optional(field)
    }
    const additional = node.additionalProperties
    if (Object.keys(fields).length === 0 && isObject(additional)) {
      return Schema.Record({ key: Schema.String, value: convert(additional, `${path}[string]`) })
    }
    return Schema.Struct(fields)
  }
  const ref = (target: string, path: string): Schema.Schema<any> => {
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(target)
    const table = match === null || !isObject(root) ? undefined : root[match[1]]
    if (match === null || !isObject(table) || table[match[2]] === undefined) {
      throw new Unsupported(path, `$ref ${JSON.stringify(target)} does not name an entry of $defs`)
    }
    const cached = defs.get(target)
    if (cached !== undefined) return cached
    let built: Schema.Schema<any> | undefined
    const lazy = Schema.suspend((): Schema.Schema<any> => built!)
    defs.set(target, lazy)
    built = convert(table[match[2]], `${path}(${target})`)
    return lazy
  }
  return convert(root, "$")
}
