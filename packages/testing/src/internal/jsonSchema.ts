type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const formats: Record<string, string> = {
  "date-time": "2026-01-01T00:00:00Z",
  date: "2026-01-01",
  time: "00:00:00Z",
  duration: "P1D",
  email: "mock@example.com",
  "idn-email": "mock@example.com",
  hostname: "example.com",
  "idn-hostname": "example.com",
  ipv4: "127.0.0.1",
  ipv6: "::1",
  uri: "https://example.com/mock",
  "uri-reference": "https://example.com/mock",
  iri: "https://example.com/mock",
  url: "https://example.com/mock",
  uuid: "00000000-0000-4000-8000-000000000000",
  "json-pointer": "/mock",
  regex: "mock"
}

const resolveRef = (ref: string, root: unknown): unknown => {
  if (!ref.startsWith("#")) return undefined
  const parts = ref.slice(1).split("/").filter((p) => p !== "").map((p) =>
    decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~")
  )
  let node: unknown = root
  for (const part of parts) {
    if (!isRecord(node) && !Array.isArray(node)) return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

const typeOf = (schema: Record<string, unknown>): string | undefined => {
  const t = schema.type
  if (typeof t === "string") return t
  if (Array.isArray(t)) return (t.find((x) => x !== "null") ?? t[0]) as string | undefined
  if (isRecord(schema.properties) || Array.isArray(schema.required)) return "object"
  if (schema.items !== undefined || Array.isArray(schema.prefixItems)) return "array"
  if (typeof schema.minLength === "number" || typeof schema.pattern === "string" || schema.format !== undefined) {
    return "string"
  }
  if (typeof schema.minimum === "number" || typeof schema.maximum === "number") return "number"
  return undefined
}

const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)

const sampleNumber = (schema: Record<string, unknown>, integer: boolean, variant: number): number => {
  const step = integer ? 1 : 0.5
  let lo = num(schema.minimum)
  let hi = num(schema.maximum)
  const exLo = num(schema.exclusiveMinimum) ?? (schema.exclusiveMinimum === true ? lo : undefined)
  const exHi = num(schema.exclusiveMaximum) ?? (schema.exclusiveMaximum === true ? hi : undefined)
  if (exLo !== undefined) lo = integer ? Math.floor(exLo) + 1 : exLo + step
  if (exHi !== undefined) hi = integer ? Math.ceil(exHi) - 1 : exHi - step
  let value = lo !== undefined ? lo : hi !== undefined && hi < 0 ? hi : 0
  value += variant * step
  if (integer) value = Math.ceil(value)
  const multipleOf = num(schema.multipleOf)
  if (multipleOf !== undefined && multipleOf > 0) value = Math.ceil(value / multipleOf) * multipleOf
  if (hi !== undefined && value > hi) value = lo ?? hi
  return value
}

const fitLength = (s: string, schema: Record<string, unknown>): string => {
  const min = num(schema.minLength) ?? 0
  const max = num(schema.maxLength)
  let out = s
  while (out.length < min) out += "x"
  if (max !== undefined && out.length > max) out = out.slice(0, Math.max(max, min))
  return out
}

const sampleString = (schema: Record<string, unknown>, variant: number): string => {
  const suffix = variant === 0 ? "" : `-${variant}`
  if (typeof schema.pattern === "string") {
    const candidate = fromPattern(schema.pattern, variant)
    if (candidate !== undefined && fitLength(candidate, schema) === candidate) return candidate
  }
  const format = typeof schema.format === "string" ? formats[schema.format] : undefined
  if (format !== undefined && variant === 0) return format
  return fitLength(`mock${suffix}`, schema)
}

const deep = 8

/**
 * A minimal value that satisfies a JSON Schema: required properties only, the first enum or const, the smallest
 * number in range, formats and simple patterns, nested objects and arrays (one item unless `minItems` says more).
 * Below depth 8 (recursive schemas) arrays get only their `minItems` and nullable values are null.
 */
export const sample = (schema: unknown, root: unknown = schema, depth = 0, variant = 0): Json => {
  if (!isRecord(schema) || depth > 24) return null
  if (typeof schema.$ref === "string") return sample(resolveRef(schema.$ref, root), root, depth + 1, variant)
  if ("const" in schema) return schema.const as Json
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[variant % schema.enum.length] as Json
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const parts = schema.allOf.map((s) => sample(s, root, depth + 1, variant))
    if (parts.every(isRecord)) return Object.assign({}, ...parts)
    return parts[0]
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = schema[key]
    if (Array.isArray(branches) && branches.length > 0) {
      const isNull = (b: unknown) => isRecord(b) && b.type === "null"
      const branch = (depth > deep ? branches.find(isNull) : undefined) ??
        branches.find((b) => !isNull(b)) ?? branches[0]
      const { [key]: _, ...rest } = schema
      return sample(
        Object.keys(rest).length > 0 && isRecord(branch) ? { ...rest, ...branch } : branch,
        root,
        depth + 1,
        variant
      )
    }
  }
  switch (typeOf(schema)) {
    case "object": {
      const properties = isRecord(schema.properties) ? schema.properties : {}
      const required = Array.isArray(schema.required) ? schema.required.filter((k) => typeof k === "string") : []
      const out: Record<string, Json> = {}
      for (const key of required as Array<string>) {
        const propertySchema = properties[key] ??
          (isRecord(schema.additionalProperties) ? schema.additionalProperties : {})
        out[key] = sample(propertySchema, root, depth + 1, 0)
      }
      return out
    }
    case "array": {
      const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : []
      const min = Math.max(num(schema.minItems) ?? 0, prefix.length)
      const max = num(schema.maxItems) ?? Infinity
      const items = schema.items
      const count = Math.min(Math.max(min, items !== undefined && items !== false && depth <= deep ? 1 : 0), max)
      const out: Array<Json> = []
      for (let i = 0; i < count; i++) {
        out.push(i < prefix.length ? sample(prefix[i], root, depth + 1, 0) : sample(items, root, depth + 1, i))
      }
      return out
    }
    case "string":
      return sampleString(schema, variant)
    case "integer":
      return sampleNumber(schema, true, variant)
    case "number":
      return sampleNumber(schema, false, variant)
    case "boolean":
      return variant % 2 === 1
    default:
      return null
  }
}

interface Cursor {
  readonly source: string
  i: number
}

const classChar = (body: string, negated: boolean): string => {
  const members: Array<[string, string]> = []
  for (let i = 0; i < body.length; i++) {
    let c = body[i]
    if (c === "\\" && i + 1 < body.length) {
      const e = body[++i]
      if (e === "d") members.push(["0", "9"])
      else if (e === "w") members.push(["a", "z"], ["A", "Z"], ["0", "9"], ["_", "_"])
      else if (e === "s") members.push([" ", " "])
      else members.push([e, e])
      continue
    }
    if (body[i + 1] === "-" && i + 2 < body.length) {
      members.push([c, body[i + 2]])
      i += 2
      continue
    }
    c = body[i]
    members.push([c, c])
  }
  const has = (ch: string) => members.some(([a, b]) => ch >= a && ch <= b)
  if (!negated) return members.length > 0 ? members[0][0] : "a"
  return [..."a0A_-x."].find((ch) => !has(ch)) ?? "~"
}

const atom = (c: Cursor, variant: number): string | undefined => {
  const ch = c.source[c.i++]
  switch (ch) {
    case "\\": {
      const e = c.source[c.i++]
      if (e === "d") return String(variant % 10)
      if (e === "w") return "a"
      if (e === "s") return " "
      if (e === "D" || e === "W" || e === "S") return e === "S" ? "a" : "-"
      if (e === "b" || e === "B") return ""
      return e
    }
    case "[": {
      const negated = c.source[c.i] === "^"
      if (negated) c.i++
      let body = ""
      while (c.i < c.source.length && c.source[c.i] !== "]") {
        if (c.source[c.i] === "\\") body += c.source[c.i++]
        body += c.source[c.i++]
      }
      c.i++
      return classChar(body, negated)
    }
    case "(": {
      if (c.source[c.i] === "?") {
        if (c.source[c.i + 1] === ":") c.i += 2
        else return undefined
      }
      const inner = alternation(c, variant)
      c.i++
      return inner
    }
    case ".":
      return "a"
    case "^":
    case "$":
      return ""
    default:
      return ch
  }
}

const quantifier = (c: Cursor): number | undefined => {
  const ch = c.source[c.i]
  let n: number | undefined
  if (ch === "*" || ch === "?") {
    c.i++
    n = 0
  } else if (ch === "+") {
    c.i++
    n = 1
  } else if (ch === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(c.source.slice(c.i))
    if (m === null) return undefined
    c.i += m[0].length
    n = Number(m[1])
  }
  if (n !== undefined && c.source[c.i] === "?") c.i++
  return n
}

const sequence = (c: Cursor, variant: number): string | undefined => {
  let out = ""
  while (c.i < c.source.length && c.source[c.i] !== "|" && c.source[c.i] !== ")") {
    const a = atom(c, variant)
    if (a === undefined) return undefined
    const q = quantifier(c)
    out += q === undefined ? a : a.repeat(q)
  }
  return out
}

const alternation = (c: Cursor, variant: number): string | undefined => {
  const first = sequence(c, variant)
  let depth = 0
  while (c.i < c.source.length) {
    const ch = c.source[c.i]
    if (ch === "\\") c.i += 2
    else if (ch === "(") depth++, c.i++
    else if (ch === ")") {
      if (depth === 0) break
      depth--
      c.i++
    } else c.i++
  }
  return first
}

/** A string matching a simple regular expression, checked with the regex itself; undefined when it cannot. */
export const fromPattern = (pattern: string, variant = 0): string | undefined => {
  try {
    const candidate = alternation({ source: pattern, i: 0 }, variant)
    return candidate !== undefined && new RegExp(pattern, "u").test(candidate) ? candidate : undefined
  } catch {
    return undefined
  }
}
