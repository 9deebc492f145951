import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"

export type Json = { readonly [key: string]: unknown }

export type Shape =
  | { readonly _tag: "Leaf" }
  | {
    readonly _tag: "Object"
    readonly props: ReadonlyMap<string, { readonly shape: Shape; readonly dropNull: boolean }>
    readonly literals: ReadonlyMap<string, ReadonlySet<unknown>>
  }
  | { readonly _tag: "Record"; readonly value: Shape }
  | { readonly _tag: "Tuple"; readonly elements: ReadonlyArray<{ readonly shape: Shape; readonly dropNull: boolean }> }
  | { readonly _tag: "Array"; readonly item: Shape }
  | { readonly _tag: "Union"; readonly members: ReadonlyArray<Shape> }
  | { readonly _tag: "Lazy"; readonly get: () => Shape }
  | { readonly _tag: "Wrapped"; readonly inner: Shape }

export class Unsupported {
  constructor(readonly path: string, readonly reason: string) {}
}

export interface Compiled {
  readonly jsonSchema: Json
  readonly wire: AST.AST
  readonly shape: Shape
  readonly wrapped: boolean
}

interface Built {
  readonly json: Json
  readonly wire: AST.AST
  readonly shape: Shape
}

const leaf: Shape = { _tag: "Leaf" }
const nullLiteral = new AST.Literal(null)
const nullJson: Json = { type: "null" }

const allowedKeywords: ReadonlySet<string> = new Set([
  "type",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems"
])

const defaultDescriptions: ReadonlySet<string> = new Set(
  [AST.stringKeyword, AST.numberKeyword, AST.booleanKeyword].flatMap((k) =>
    Option.toArray(AST.getDescriptionAnnotation(k))
  )
)

const describe = (annotated: AST.Annotated): string | undefined => {
  const d = Option.getOrUndefined(AST.getDescriptionAnnotation(annotated))
  return d === undefined || defaultDescriptions.has(d) || /^\S*Encoded(<.*>)?$/.test(d) ? undefined : d
}

const withDescription = (json: Json, description: string | undefined): Json =>
  description === undefined || "$ref" in json ? json : { ...json, description }

const segment = (key: string): string => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`

const isUndefined = (ast: AST.AST): boolean => ast._tag === "UndefinedKeyword" || ast._tag === "VoidKeyword"

const withoutUndefined = (ast: AST.AST): { readonly ast: AST.AST; readonly hadUndefined: boolean } => {
  if (ast._tag !== "Union" || !ast.types.some(isUndefined)) return { ast, hadUndefined: isUndefined(ast) }
  const rest = ast.types.filter((t) => !isUndefined(t))
  return { ast: AST.Union.make(rest, ast.annotations), hadUndefined: true }
}

const admitsNull = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "Literal":
      return ast.literal === null
    case "Union":
      return ast.types.some(admitsNull)
    case "Refinement":
      return admitsNull(ast.from)
    case "Transformation":
      return admitsNull(ast.from)
    default:
      return false
  }
}

const isObjectRoot = (ast: AST.AST, seen = new Set<AST.AST>()): boolean => {
  if (seen.has(ast)) return false
  seen.add(ast)
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.indexSignatures.length === 0
    case "TupleType":
      return ast.rest.length === 0 && ast.elements.length > 0
    case "Refinement":
    case "Transformation":
      return isObjectRoot(ast.from, seen)
    case "Suspend":
      return isObjectRoot(ast.f(), seen)
    default:
      return false
  }
}

const literalsOf = (ast: AST.AST): ReadonlySet<unknown> | undefined => {
  switch (ast._tag) {
    case "Literal":
      return new Set([ast.literal])
    case "Union": {
      const out = new Set<unknown>()
      for (const t of ast.types) {
        const inner = literalsOf(t)
        if (inner === undefined) return undefined
        for (const v of inner) out.add(v)
      }
      return out
    }
    case "Refinement":
    case "Transformation":
      return literalsOf(ast.from)
    default:
      return undefined
  }
}

const objectJson = (properties: Record<string, Json>): Json => ({
  type: "object",
  properties,
  required: Object.keys(properties),
  additionalProperties: false
})

const nullable = (json: Json): Json => {
  if (Array.isArray(json.anyOf)) return { ...json, anyOf: [...json.anyOf, nullJson] }
  return { anyOf: [json, nullJson] }
}

const fail = (ast: AST.AST, actual: unknown, message: string) =>
  ParseResult.fail(new ParseResult.Type(ast, actual, message))

class Builder {
  private readonly defs: Record<string, Json> = {}
  private readonly defNames = new Set<string>()
  private readonly suspended = new Map<AST.AST, { ref: string; wire?: AST.AST; shape?: Shape }>()

  compile(root: AST.AST): Compiled {
    const objectRoot = isObjectRoot(root)
    const rootEntry: { ref: string; wire?: AST.AST; shape?: Shape } = { ref: "#" }
    if (objectRoot) this.suspended.set(root, rootEntry)
    const built = this.go(root, "$")
    rootEntry.wire = built.wire
    rootEntry.shape = built.shape
    const defs = Object.keys(this.defs).length > 0 ? { $defs: this.defs } : {}
    if (objectRoot && built.json.type === "object") {
      return { jsonSchema: { ...built.json, ...defs }, wire: built.wire, shape: built.shape, wrapped: false }
    }
    const wire = new AST.Transformation(
      new AST.TypeLiteral([new AST.PropertySignature("value", built.wire, false, true)], []),
      AST.typeAST(root),
      new AST.FinalTransformation(
        (o: { readonly value: unknown }) => ParseResult.succeed(o.value),
        (value) => ParseResult.succeed({ value })
      )
    )
    return {
      jsonSchema: { ...objectJson({ value: built.json }), ...defs },
      wire,
      shape: { _tag: "Wrapped", inner: built.shape },
      wrapped: true
    }
  }

  private go(ast: AST.AST, path: string): Built {
    switch (ast._tag) {
      case "StringKeyword":
        return { json: withDescription({ type: "string" }, describe(ast)), wire: ast, shape: leaf }
      case "NumberKeyword":
        return { json: withDescription({ type: "number" }, describe(ast)), wire: ast, shape: leaf }
      case "BooleanKeyword":
        return { json: withDescription({ type: "boolean" }, describe(ast)), wire: ast, shape: leaf }
      case "Literal":
        return { json: withDescription(this.literal(ast.literal, path), describe(ast)), wire: ast, shape: leaf }
      case "Enums":
        return {
          json: withDescription(this.enumJson(ast.enums.map(([, v]) => v)), describe(ast)),
          wire: ast,
          shape: leaf
        }
      case "TemplateLiteral":
        return {
          json: withDescription({ type: "string", pattern: AST.getTemplateLiteralRegExp(ast).source }, describe(ast)),
          wire: ast,
          shape: leaf
        }
      case "Union":
        return this.union(ast, path)
      case "TypeLiteral":
        return this.typeLiteral(ast, path)
      case "TupleType":
        return this.tuple(ast, path)
      case "Refinement":
        return this.refinement(ast, path)
      case "Transformation": {
        const from = this.go(ast.from, path)
        return {
          json: withDescription(from.json, describe(ast) ?? from.json.description as string | undefined),
          wire: from.wire === ast.from
            ? ast
            : new AST.Transformation(from.wire, ast.to, ast.transformation, ast.annotations),
          shape: from.shape
        }
      }
      case "Suspend":
        return this.suspend(ast, path)
      case "Declaration":
        throw new Unsupported(
          path,
          `${
            String(ast)
          } is not JSON (a declared type such as a Date or a class instance); use a schema that decodes it from JSON, e.g. Schema.Date or a Schema.Class`
        )
      case "UndefinedKeyword":
      case "VoidKeyword":
        throw new Unsupported(path, "undefined is not JSON; only an optional property may be undefined")
      case "NeverKeyword":
        throw new Unsupported(path, "Schema.Never has no JSON value")
      case "UnknownKeyword":
      case "AnyKeyword":
        throw new Unsupported(
          path,
          `Schema.${
            ast._tag === "AnyKeyword" ? "Any" : "Unknown"
          } accepts any value, strict mode needs a concrete schema; describe the value, or carry JSON text in a string (Schema.parseJson)`
        )
      case "BigIntKeyword":
        throw new Unsupported(path, "a bigint is not JSON; use Schema.BigInt (decoded from a string)")
      case "SymbolKeyword":
      case "UniqueSymbol":
        throw new Unsupported(path, "a symbol is not JSON")
      case "ObjectKeyword":
        throw new Unsupported(path, "Schema.Object accepts any object, strict mode needs its properties; use a Struct")
    }
  }

  private literal(literal: AST.LiteralValue, path: string): Json {
    if (literal === null) return nullJson
    if (typeof literal === "bigint") throw new Unsupported(path, "a bigint literal is not JSON")
    return { type: typeof literal, enum: [literal] }
  }

  private enumJson(values: ReadonlyArray<string | number>): Json {
    const strings = values.filter((v) => typeof v === "string")
    const numbers = values.filter((v) => typeof v === "number")
    if (numbers.length === 0) return { type: "string", enum: strings }
    if (strings.length === 0) return { type: "number", enum: numbers }
    return { anyOf: [{ type: "string", enum: strings }, { type: "number", enum: numbers }] }
  }

  private union(ast: AST.Union, path: string): Built {
    const members = ast.types.map((t) => this.go(t, path))
    const literals = ast.types.map((t) => (t._tag === "Literal" ? t.literal : undefined))
    let json: Json
    if (ast.types.every((t) => t._tag === "Literal")) {
      const values = literals.filter((v) => v !== null) as Array<string | number | boolean>
      const kinds = new Set(values.map((v) => typeof v))
      const hasNull = literals.includes(null)
      if (kinds.size === 1) {
        const base: Json = { type: [...kinds][0], enum: values }
        json = hasNull ? nullable(base) : base
      } else json = { anyOf: members.flatMap((m) => (Array.isArray(m.json.anyOf) ? m.json.anyOf : [m.json])) }
    } else {
      json = {
        anyOf: members.flatMap((
          m
        ) => (Array.isArray(m.json.anyOf) && m.json.description === undefined ? m.json.anyOf : [m.json]))
      }
    }
    const changed = members.some((m, i) => m.wire !== ast.types[i])
    const shapes = members.map((m) => m.shape)
    return {
      json: withDescription(json, describe(ast)),
      wire: changed ? AST.Union.make(members.map((m) => m.wire), ast.annotations) : ast,
      shape: shapes.every((s) => s._tag === "Leaf") ? leaf : { _tag: "Union", members: shapes }
    }
  }

  private typeLiteral(ast: AST.TypeLiteral, path: string): Built {
    if (ast.indexSignatures.length > 0) {
      if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 1) {
        return this.record(ast, ast.indexSignatures[0], path)
      }
      throw new Unsupported(
        path,
        "a struct with index signatures (a Record rest) cannot be strict: strict mode needs every key listed; use a Struct, or a separate Record field"
      )
    }
    const properties: Record<string, Json> = {}
    const wireProps: Array<AST.PropertySignature> = []
    const transformations: Array<AST.PropertySignatureTransformation> = []
    const props = new Map<string, { shape: Shape; dropNull: boolean }>()
    const literals = new Map<string, ReadonlySet<unknown>>()
    let changed = false
    for (const ps of ast.propertySignatures) {
      if (typeof ps.name !== "string") {
        throw new Unsupported(`${path}[${String(ps.name)}]`, "a symbol or number key is not a JSON property name")
      }
      const name = ps.name
      const at = path + segment(name)
      const { ast: type, hadUndefined } = withoutUndefined(ps.type)
      if (isUndefined(type)) throw new Unsupported(at, "a property that can only be undefined has no JSON value")
      const child = this.go(type, at)
      const description = describe(ps)
      const lits = literalsOf(type)
      if (lits !== undefined) literals.set(name, lits)
      const absentAsNull = (ps.isOptional || hadUndefined) && !admitsNull(type)
      if (absentAsNull) {
        properties[name] = withDescription(
          nullable(child.json),
          description ?? child.json.description as string | undefined
        )
        wireProps.push(new AST.PropertySignature(name, AST.Union.make([child.wire, nullLiteral]), false, ps.isReadonly))
        const optional = ps.isOptional
        transformations.push(
          new AST.PropertySignatureTransformation(
            name,
            name,
            (o) => (Option.isSome(o) && o.value === null ? (optional ? Option.none() : Option.some(undefined)) : o),
            (o) => (Option.isNone(o) || o.value === undefined ? Option.some(null) : o)
          )
        )
        changed = true
      } else {
        properties[name] = withDescription(child.json, description)
        if (child.wire !== ps.type || hadUndefined) changed = true
        wireProps.push(new AST.PropertySignature(name, child.wire, ps.isOptional, ps.isReadonly, ps.annotations))
      }
      props.set(name, { shape: child.shape, dropNull: absentAsNull && ps.isOptional })
    }
    const json = withDescription(objectJson(properties), describe(ast))
    const shape: Shape = { _tag: "Object", props, literals }
    if (!changed) return { json, wire: ast, shape }
    const wireLiteral = new AST.TypeLiteral(wireProps, [])
    if (transformations.length === 0) return { json, wire: wireLiteral, shape }
    const to = new AST.TypeLiteral(
      ast.propertySignatures.map((ps) =>
        new AST.PropertySignature(ps.name, AST.typeAST(ps.type), ps.isOptional, ps.isReadonly)
      ),
      []
    )
    return {
      json,
      wire: new AST.Transformation(wireLiteral, to, new AST.TypeLiteralTransformation(transformations)),
      shape
    }
  }

  private record(ast: AST.TypeLiteral, signature: AST.IndexSignature, path: string): Built {
    let parameter: AST.AST = signature.parameter
    let keyJson: Json = { type: "string" }
    while (parameter._tag === "Refinement") {
      const annotation = Option.getOrUndefined(AST.getJSONSchemaAnnotation(parameter)) as Json | undefined
      if (typeof annotation?.pattern === "string") keyJson = { ...keyJson, pattern: annotation.pattern }
      parameter = parameter.from
    }
    if (parameter._tag === "SymbolKeyword") throw new Unsupported(path, "a Record keyed by symbols is not JSON")
    if (parameter._tag === "TemplateLiteral") {
      keyJson = { type: "string", pattern: AST.getTemplateLiteralRegExp(parameter).source }
    }
    const value = this.go(signature.type, `${path}[string]`)
    const entry = new AST.TypeLiteral([
      new AST.PropertySignature("key", signature.parameter, false, true),
      new AST.PropertySignature("value", value.wire, false, true)
    ], [])
    const wire = new AST.Transformation(
      new AST.TupleType([], [new AST.Type(entry)], true),
      AST.typeAST(ast),
      new AST.FinalTransformation(
        (entries: ReadonlyArray<{ readonly key: string; readonly value: unknown }>) => {
          const out: Record<string, unknown> = {}
          for (const e of entries) out[e.key] = e.value
          return ParseResult.succeed(out)
        },
        (record: Record<string, unknown>) =>
          ParseResult.succeed(Object.keys(record).map((key) => ({ key, value: record[key] })))
      )
    )
    return {
      json: {
        type: "array",
        description: describe(ast) ?? "a map, written as a list of its { key, value } entries",
        items: objectJson({ key: keyJson, value: value.json })
      },
      wire,
      shape: { _tag: "Record", value: value.shape }
    }
  }

  private tuple(ast: AST.TupleType, path: string): Built {
    const { elements, rest } = ast
    if (elements.length === 0 && rest.length === 1) {
      const item = this.go(rest[0].type, `${path}[*]`)
      return {
        json: withDescription({ type: "array", items: item.json }, describe(ast)),
        wire: item.wire === rest[0].type ? ast : new AST.TupleType([], [new AST.Type(item.wire)], ast.isReadonly),
        shape: { _tag: "Array", item: item.shape }
      }
    }
    if (rest.length === 1 && elements.every((e) => !e.isOptional && e.type === rest[0].type)) {
      const item = this.go(rest[0].type, `${path}[*]`)
      return {
        json: withDescription({ type: "array", items: item.json, minItems: elements.length }, describe(ast)),
        wire: item.wire === rest[0].type ? ast : new AST.TupleType(
          elements.map(() => new AST.OptionalType(item.wire, false)),
          [new AST.Type(item.wire)],
          ast.isReadonly
        ),
        shape: { _tag: "Array", item: item.shape }
      }
    }
    if (rest.length > 0) {
      throw new Unsupported(
        path,
        "a tuple with a rest element (other than a non-empty array) cannot be strict; use an array, or a tuple of fixed elements"
      )
    }
    if (elements.length === 0) throw new Unsupported(path, "an empty tuple has no strict JSON Schema")
    const properties: Record<string, Json> = {}
    const wireProps: Array<AST.PropertySignature> = []
    const shapes: Array<{ shape: Shape; dropNull: boolean }> = []
    elements.forEach((e, i) => {
      const child = this.go(e.type, `${path}[${i}]`)
      const optional = e.isOptional && !admitsNull(e.type)
      properties[String(i)] = withDescription(optional ? nullable(child.json) : child.json, describe(e))
      wireProps.push(
        new AST.PropertySignature(
          String(i),
          optional ? AST.Union.make([child.wire, nullLiteral]) : child.wire,
          false,
          true
        )
      )
      shapes.push({ shape: child.shape, dropNull: optional })
    })
    const optional = elements.map((e) => e.isOptional && !admitsNull(e.type))
    const typeSide = AST.typeAST(ast)
    const wire = new AST.Transformation(
      new AST.TypeLiteral(wireProps, []),
      typeSide,
      new AST.FinalTransformation(
        (o: Record<string, unknown>) => {
          const out: Array<unknown> = []
          let ended = false
          for (let i = 0; i < elements.length; i++) {
            const v = o[String(i)]
            if (optional[i] && v === null) {
              ended = true
              continue
            }
            if (ended) return fail(typeSide, o, `element ${i} is set after an absent (null) optional element`)
            out.push(v)
          }
          return ParseResult.succeed(out)
        },
        (a: ReadonlyArray<unknown>) => {
          const out: Record<string, unknown> = {}
          for (let i = 0; i < elements.length; i++) out[String(i)] = i < a.length ? a[i] : null
          return ParseResult.succeed(out)
        }
      )
    )
    return {
      json: withDescription(objectJson(properties), describe(ast) ?? "a tuple, written as an object keyed by position"),
      wire,
      shape: { _tag: "Tuple", elements: shapes }
    }
  }

  private refinement(ast: AST.Refinement, path: string): Built {
    const from = this.go(ast.from, path)
    const annotation = Option.getOrUndefined(AST.getJSONSchemaAnnotation(ast)) as Json | undefined
    let json = from.json
    let dropped = annotation === undefined
    if (annotation !== undefined) {
      const kept: Record<string, unknown> = {}
      for (const key of Object.keys(annotation)) {
        if (allowedKeywords.has(key)) kept[key] = annotation[key]
        else dropped = true
      }
      if (typeof json.type === "string") json = { ...json, ...kept }
      else if (Object.keys(kept).length > 0) dropped = true
    }
    const description = dropped ? describe(ast) : undefined
    return {
      json: withDescription(json, description ?? json.description as string | undefined),
      wire: from.wire === ast.from ? ast : new AST.Refinement(from.wire, ast.filter, ast.annotations),
      shape: from.shape
    }
  }

  private suspend(ast: AST.Suspend, path: string): Built {
    const target = ast.f()
    let entry = this.suspended.get(target)
    if (entry === undefined) {
      const name = this.defName(target, ast)
      const created: { ref: string; wire?: AST.AST; shape?: Shape } = { ref: `#/$defs/${name}` }
      entry = created
      this.suspended.set(target, created)
      this.defNames.add(name)
      this.defs[name] = {}
      const built = this.go(target, path)
      this.defs[name] = built.json
      created.wire = built.wire
      created.shape = built.shape
    }
    const found = entry
    return {
      json: { $ref: found.ref },
      wire: new AST.Suspend(() => found.wire!, ast.annotations),
      shape: { _tag: "Lazy", get: () => found.shape! }
    }
  }

  private defName(target: AST.AST, ast: AST.Suspend): string {
    const base = (Option.getOrUndefined(AST.getIdentifierAnnotation(target)) ??
      Option.getOrUndefined(AST.getIdentifierAnnotation(ast)) ?? "Def").replace(/[^A-Za-z0-9_-]/g, "_")
    let name = base
    for (let i = 2; this.defNames.has(name); i++) name = `${base}${i}`
    return name
  }
}

export const compile = (ast: AST.AST): Compiled => new Builder().compile(ast)

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const kindOf = (shape: Shape): "object" | "array" | "leaf" => {
  switch (shape._tag) {
    case "Object":
    case "Tuple":
    case "Wrapped":
      return "object"
    case "Record":
    case "Array":
      return "array"
    case "Lazy":
      return kindOf(shape.get())
    default:
      return "leaf"
  }
}

const pickMember = (members: ReadonlyArray<Shape>, value: unknown): Shape | undefined => {
  const kind = isRecord(value) ? "object" : Array.isArray(value) ? "array" : "leaf"
  const candidates = members.filter((m) => kindOf(m) === kind)
  if (kind !== "object" || candidates.length <= 1) return candidates[0]
  const object = value as Record<string, unknown>
  const fits = (m: Shape): boolean => {
    const s = m._tag === "Lazy" ? m.get() : m
    if (s._tag !== "Object") return false
    for (const key of Object.keys(object)) {
      if (!s.props.has(key)) return false
      const allowed = s.literals.get(key)
      if (allowed !== undefined && typeof object[key] !== "object" && !allowed.has(object[key])) return false
    }
    return true
  }
  return candidates.find(fits) ?? candidates[0]
}

const cache = new WeakMap<Shape, WeakMap<object, unknown>>()

/** Maps a (partial) wire JSON value to the shape of the original schema's encoded side, best effort. */
export const normalize = (shape: Shape, value: unknown): unknown => {
  if (typeof value !== "object" || value === null || shape._tag === "Leaf") return value
  let memo = cache.get(shape)
  if (memo === undefined) {
    memo = new WeakMap()
    cache.set(shape, memo)
  }
  if (memo.has(value)) return memo.get(value)
  const out = normalizeNew(shape, value)
  memo.set(value, out)
  return out
}

const normalizeNew = (shape: Shape, value: object): unknown => {
  switch (shape._tag) {
    case "Lazy":
      return normalize(shape.get(), value)
    case "Wrapped":
      return isRecord(value) ? normalize(shape.inner, value.value) : undefined
    case "Union": {
      const member = pickMember(shape.members, value)
      return member === undefined ? value : normalize(member, value)
    }
    case "Object": {
      if (!isRecord(value)) return value
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        const v = value[key]
        const prop = shape.props.get(key)
        if (prop === undefined) out[key] = v
        else if (!(v === null && prop.dropNull)) out[key] = normalize(prop.shape, v)
      }
      return out
    }
    case "Record": {
      if (!Array.isArray(value)) return value
      const out: Record<string, unknown> = {}
      for (const entry of value) {
        if (isRecord(entry) && typeof entry.key === "string" && "value" in entry) {
          out[entry.key] = normalize(shape.value, entry.value)
        }
      }
      return out
    }
    case "Tuple": {
      if (!isRecord(value)) return value
      const out: Array<unknown> = []
      for (let i = 0; i < shape.elements.length; i++) {
        const key = String(i)
        const element = shape.elements[i]
        if (!(key in value) || (value[key] === null && element.dropNull)) break
        out.push(normalize(element.shape, value[key]))
      }
      return out
    }
    case "Array":
      return Array.isArray(value) ? value.map((v) => normalize(shape.item, v)) : value
    default:
      return value
  }
}
