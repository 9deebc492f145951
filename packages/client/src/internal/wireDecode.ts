/**
 * Shared primitives of the hand-written wire decoders (`chunkDecoder`, `completionDecoder`). Each function mirrors
 * one lenient `wireStruct` of `@nexos-effect/schema` on parsed JSON and builds what the schema decodes: defaults
 * filled, null as absent, unknown fields kept by reference (a `__proto__` key is dropped, as the schema drops it),
 * keys in the schema's order (unknown fields first, then the declared fields in declaration order). A rejection
 * returns the `FAIL` sentinel and records the path in module state, which is safe because decoding is synchronous;
 * `decoder` turns it into a `DecodeFailure`.
 *
 * @since 0.1.0
 */

/** @internal */
export class DecodeFailure {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: unknown,
    readonly subject: string
  ) {}
  get message(): string {
    return `${this.path === "" ? this.subject : this.path}: expected ${this.expected}, got ${describe(this.actual)}`
  }
}

const describe = (u: unknown): string => {
  if (u === null) return "null"
  if (Array.isArray(u)) return "an array"
  if (typeof u === "string") return u.length > 40 ? `a string` : JSON.stringify(u)
  return typeof u === "object" ? "an object" : `${typeof u} ${String(u)}`
}

/** @internal */
export type Obj = Record<string, unknown>

/** @internal */
export const FAIL: unique symbol = Symbol.for("@nexos-effect/client/wireDecode/FAIL")

/** @internal */
export type FAIL = typeof FAIL

/** @internal */
export type Decode = (u: unknown) => unknown

/** @internal */
export type DecodeObj = (u: Obj) => Obj | FAIL

let failPath: Array<string> = []
let failExpected = ""
let failActual: unknown = undefined

/** @internal */
export const fail = (expected: string, actual: unknown, segment: string): FAIL => {
  failPath = [segment]
  failExpected = expected
  failActual = actual
  return FAIL
}

/** @internal */
export const nest = (segment: string): FAIL => {
  failPath.push(segment)
  return FAIL
}

const nestIndex = (i: number): FAIL => {
  const last = failPath.length - 1
  if (last >= 0 && failPath[last] === "") failPath[last] = `[${i}]`
  else failPath.push(`[${i}]`)
  return FAIL
}

/** @internal */
export const decoder = <A>(decode: Decode, subject: string) => (u: unknown): A | DecodeFailure => {
  const r = decode(u)
  if (r !== FAIL) return r as A
  const path = failPath.reverse().filter((s) => s !== "").join(".").replace(/\.\[/g, "[")
  failPath = []
  return new DecodeFailure(path, failExpected, failActual, subject)
}

/** @internal */
export const isRecord = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)

/** @internal */
export const keep = (out: Obj, k: string, v: unknown): void => {
  if (k !== "__proto__") out[k] = v
}

/** @internal */
export const arrayOf = (u: unknown, item: Decode): Array<unknown> | FAIL => {
  if (!Array.isArray(u)) return fail("an array", u, "")
  const out = new Array<unknown>(u.length)
  for (let i = 0; i < u.length; i++) {
    const x = item(u[i])
    if (x === FAIL) return nestIndex(i)
    out[i] = x
  }
  return out
}

/** @internal */
export const record = (v: unknown, k: string, decode: DecodeObj): Obj | FAIL => {
  if (!isRecord(v)) return fail("an object", v, k)
  const r = decode(v)
  return r === FAIL ? nest(k) : r
}

/** @internal */
export const list = (v: unknown, k: string, item: Decode): Array<unknown> | FAIL => {
  const a = arrayOf(v, item)
  return a === FAIL ? nest(k) : a
}

/**
 * Tool-call `arguments` as `ToolCall.ArgumentsText` decodes them: a string as is, an object as its JSON text.
 *
 * @internal
 */
export const argumentsText = (v: unknown, k: string): string | FAIL => {
  if (typeof v === "string") return v
  if (!isRecord(v)) return fail("a string or an object", v, k)
  if (!Object.prototype.hasOwnProperty.call(v, "__proto__")) return JSON.stringify(v)
  const copy: Obj = {}
  for (const key in v) keep(copy, key, v[key])
  return JSON.stringify(copy)
}

/**
 * A struct whose fields are all optional strings or numbers, e.g. `{ url: "string", start_index: "number" }`.
 *
 * @internal
 */
export const primitives = (fields: Readonly<Record<string, "string" | "number">>): DecodeObj => {
  const names = Object.keys(fields)
  const types = Object.values(fields)
  return (u) => {
    const out: Obj = {}
    let known = 0
    for (const k in u) {
      const i = names.indexOf(k)
      const v = u[k]
      if (i === -1) keep(out, k, v)
      else if (v != null) {
        if (typeof v !== types[i]) return fail(types[i]!, v, k)
        known++
      }
    }
    if (known === 0) return out
    for (let i = 0; i < names.length; i++) {
      const v = u[names[i]!]
      if (v != null) out[names[i]!] = v
    }
    return out
  }
}

const completionTokensDetails = primitives({
  accepted_prediction_tokens: "number",
  audio_tokens: "number",
  reasoning_tokens: "number",
  rejected_prediction_tokens: "number"
})

const promptTokensDetails = primitives({ audio_tokens: "number", cached_tokens: "number" })

/** @internal */
export const usage: DecodeObj = (u) => {
  const out: Obj = {}
  let prompt = 0
  let completion = 0
  let total = 0
  let cost: number | undefined
  let completionDetails: Obj | FAIL | undefined
  let promptDetails: Obj | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    switch (k) {
      case "prompt_tokens":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        prompt = v
        continue
      case "completion_tokens":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        completion = v
        continue
      case "total_tokens":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        total = v
        continue
      case "nexos_credits_cost":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        cost = v
        continue
      case "completion_tokens_details":
        if (v == null) continue
        if ((completionDetails = record(v, k, completionTokensDetails)) === FAIL) return FAIL
        continue
      case "prompt_tokens_details":
        if (v == null) continue
        if ((promptDetails = record(v, k, promptTokensDetails)) === FAIL) return FAIL
        continue
    }
    keep(out, k, v)
  }
  out.prompt_tokens = prompt
  out.completion_tokens = completion
  out.total_tokens = total
  if (cost !== undefined) out.nexos_credits_cost = cost
  if (completionDetails !== undefined) out.completion_tokens_details = completionDetails
  if (promptDetails !== undefined) out.prompt_tokens_details = promptDetails
  return out
}

const logprob = (withTop: boolean): Decode => (u) => {
  if (!isRecord(u)) return fail("an object", u, "")
  const out: Obj = {}
  let token = ""
  let lp = 0
  let bytes: unknown
  let top: Array<unknown> | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    switch (k) {
      case "token":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        token = v
        continue
      case "logprob":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        lp = v
        continue
      case "bytes":
        if (v == null) continue
        if (!Array.isArray(v)) return fail("an array", v, k)
        for (let i = 0; i < v.length; i++) {
          if (typeof v[i] !== "number") return fail("number", v[i], `${k}[${i}]`)
        }
        bytes = v
        continue
      case "top_logprobs":
        if (!withTop) break
        if (v == null) continue
        if ((top = list(v, k, topLogprob)) === FAIL) return FAIL
        continue
    }
    keep(out, k, v)
  }
  out.token = token
  out.logprob = lp
  if (bytes !== undefined) out.bytes = bytes
  if (top !== undefined) out.top_logprobs = top
  return out
}

const topLogprob = logprob(false)
const tokenLogprob = logprob(true)

/** @internal */
export const logprobs: DecodeObj = (u) => {
  const out: Obj = {}
  let content: Array<unknown> | FAIL | undefined
  let refusal: Array<unknown> | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    if (k === "content") {
      if (v != null && (content = list(v, k, tokenLogprob)) === FAIL) return FAIL
    } else if (k === "refusal") {
      if (v != null && (refusal = list(v, k, tokenLogprob)) === FAIL) return FAIL
    } else {
      keep(out, k, v)
    }
  }
  if (content !== undefined) out.content = content
  if (refusal !== undefined) out.refusal = refusal
  return out
}

const urlCitation = primitives({ start_index: "number", end_index: "number", title: "string", url: "string" })

/** @internal */
export const annotation: Decode = (u) => {
  if (!isRecord(u)) return fail("an object", u, "")
  const out: Obj = {}
  let type: string | undefined
  let citation: Obj | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    if (k === "type") {
      if (v == null) continue
      if (typeof v !== "string") return fail("string", v, k)
      type = v
    } else if (k === "url_citation") {
      if (v != null && (citation = record(v, k, urlCitation)) === FAIL) return FAIL
    } else {
      keep(out, k, v)
    }
  }
  if (type !== undefined) out.type = type
  if (citation !== undefined) out.url_citation = citation
  return out
}

const ABSENT: unique symbol = Symbol.for("@nexos-effect/client/wireDecode/ABSENT")

const contentPart: Decode = (u) => {
  if (!isRecord(u)) return fail("an object", u, "")
  const out: Obj = {}
  let type = "text"
  let text: string | undefined
  let refusal: string | undefined
  let thinking: unknown = ABSENT
  for (const k in u) {
    const v = u[k]
    switch (k) {
      case "type":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        type = v
        continue
      case "text":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        text = v
        continue
      case "refusal":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        refusal = v
        continue
      case "thinking":
        if (v !== null) thinking = v
        continue
    }
    keep(out, k, v)
  }
  out.type = type
  if (text !== undefined) out.text = text
  if (refusal !== undefined) out.refusal = refusal
  if (thinking !== ABSENT) out.thinking = thinking
  return out
}

/** @internal */
export const content = (v: unknown, k: string): unknown => {
  if (typeof v === "string") return v
  if (!Array.isArray(v)) return fail("a string or an array of content parts", v, k)
  return list(v, k, contentPart)
}

/**
 * What differs between a streamed `Delta` and a complete `Message`.
 *
 * @internal
 */
export interface MessageSpec {
  readonly role: string | undefined
  readonly toolCall: Decode
  readonly functionCall: DecodeObj
  readonly audio: DecodeObj | undefined
}

/** @internal */
export const message = (spec: MessageSpec): DecodeObj => (u) => {
  const out: Obj = {}
  let role = spec.role
  let body: unknown
  let refusal: string | undefined
  let toolCalls: Array<unknown> | FAIL | undefined
  let functionCall: Obj | FAIL | undefined
  let audio: Obj | FAIL | undefined
  let annotations: Array<unknown> | FAIL | undefined
  let reasoningContent: string | undefined
  let reasoning: string | undefined
  for (const k in u) {
    const v = u[k]
    switch (k) {
      case "role":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        role = v
        continue
      case "content":
        if (v == null) continue
        if ((body = content(v, k)) === FAIL) return FAIL
        continue
      case "refusal":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        refusal = v
        continue
      case "tool_calls":
        if (v == null) continue
        if ((toolCalls = list(v, k, spec.toolCall)) === FAIL) return FAIL
        continue
      case "function_call":
        if (v == null) continue
        if ((functionCall = record(v, k, spec.functionCall)) === FAIL) return FAIL
        continue
      case "audio":
        if (spec.audio === undefined) break
        if (v == null) continue
        if ((audio = record(v, k, spec.audio)) === FAIL) return FAIL
        continue
      case "annotations":
        if (v == null) continue
        if ((annotations = list(v, k, annotation)) === FAIL) return FAIL
        continue
      case "reasoning_content":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        reasoningContent = v
        continue
      case "reasoning":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        reasoning = v
        continue
    }
    keep(out, k, v)
  }
  if (role !== undefined) out.role = role
  if (body !== undefined) out.content = body
  if (refusal !== undefined) out.refusal = refusal
  if (toolCalls !== undefined) out.tool_calls = toolCalls
  if (functionCall !== undefined) out.function_call = functionCall
  if (audio !== undefined) out.audio = audio
  if (annotations !== undefined) out.annotations = annotations
  if (reasoningContent !== undefined) out.reasoning_content = reasoningContent
  if (reasoning !== undefined) out.reasoning = reasoning
  return out
}

/**
 * What differs between a streamed choice (`delta`, declared before `finish_reason`) and a complete one (`message`,
 * declared after it).
 *
 * @internal
 */
export interface ChoiceSpec {
  readonly body: "delta" | "message"
  readonly bodyFirst: boolean
  readonly decode: DecodeObj
  readonly empty: () => Obj
}

/** @internal */
export const choice = (spec: ChoiceSpec): Decode => (u) => {
  if (!isRecord(u)) return fail("an object", u, "")
  const out: Obj = {}
  let index = 0
  let body: Obj | FAIL | undefined
  let finish: string | undefined
  let lp: Obj | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    switch (k) {
      case "index":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        index = v
        continue
      case "delta":
      case "message":
        if (k !== spec.body) break
        if (v == null) continue
        if ((body = record(v, k, spec.decode)) === FAIL) return FAIL
        continue
      case "finish_reason":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        finish = v
        continue
      case "logprobs":
        if (v == null) continue
        if ((lp = record(v, k, logprobs)) === FAIL) return FAIL
        continue
    }
    keep(out, k, v)
  }
  out.index = index
  if (spec.bodyFirst) out[spec.body] = body ?? spec.empty()
  if (finish !== undefined) out.finish_reason = finish
  if (!spec.bodyFirst) out[spec.body] = body ?? spec.empty()
  if (lp !== undefined) out.logprobs = lp
  return out
}

/**
 * The top level shared by `ChatCompletion` and `ChatCompletionChunk`.
 *
 * @internal
 */
export const envelope = (object: string, decodeChoice: Decode): Decode => (u) => {
  if (!isRecord(u)) return fail("an object", u, "")
  const out: Obj = {}
  let id = ""
  let obj = object
  let created = 0
  let model = ""
  let choices: Array<unknown> | FAIL | undefined
  let use: Obj | FAIL | undefined
  let fingerprint: string | undefined
  let tier: string | undefined
  for (const k in u) {
    const v = u[k]
    switch (k) {
      case "id":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        id = v
        continue
      case "object":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        obj = v
        continue
      case "created":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        created = v
        continue
      case "model":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        model = v
        continue
      case "choices":
        if (v == null) continue
        if ((choices = list(v, k, decodeChoice)) === FAIL) return FAIL
        continue
      case "usage":
        if (v == null) continue
        if ((use = record(v, k, usage)) === FAIL) return FAIL
        continue
      case "system_fingerprint":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        fingerprint = v
        continue
      case "service_tier":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        tier = v
        continue
    }
    keep(out, k, v)
  }
  out.id = id
  out.object = obj
  out.created = created
  out.model = model
  out.choices = choices ?? []
  if (use !== undefined) out.usage = use
  if (fingerprint !== undefined) out.system_fingerprint = fingerprint
  if (tier !== undefined) out.service_tier = tier
  return out
}
