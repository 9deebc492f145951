/**
 * A hand-written, synchronous normaliser for streamed chunks. For any JSON value it returns exactly what
 * `Schema.decodeUnknownSync(ChatCompletionChunk.ChatCompletionChunk)` returns (same defaults, null and absent the
 * same, unknown fields kept by reference), or a `DecodeFailure` where the schema fails. It exists because the
 * schema decoder costs about 2.4 us per chunk on the hot path; a test proves the equivalence on fixtures and on
 * generated values, so a change of the schema that is not mirrored here fails the build. The primitives it shares
 * with the completion decoder live in `wireDecode`.
 *
 * @since 0.1.0
 */
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type { Decode, DecodeObj, Obj } from "./wireDecode.js"
import {
  argumentsText,
  choice,
  DecodeFailure,
  decoder,
  envelope,
  FAIL,
  fail,
  isRecord,
  keep,
  message,
  record
} from "./wireDecode.js"

export { DecodeFailure }

const functionDelta: DecodeObj = (u) => {
  const out: Obj = {}
  let name: string | undefined
  let args: string | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    if (k === "name") {
      if (v == null) continue
      if (typeof v !== "string") return fail("string", v, k)
      name = v
    } else if (k === "arguments") {
      if (v == null) continue
      if ((args = argumentsText(v, k)) === FAIL) return FAIL
    } else {
      keep(out, k, v)
    }
  }
  if (name !== undefined) out.name = name
  if (args !== undefined) out.arguments = args
  return out
}

const toolCallDelta: Decode = (u) => {
  if (!isRecord(u)) return fail("an object", u, "")
  const out: Obj = {}
  let index: number | undefined
  let id: string | undefined
  let type: string | undefined
  let fn: Obj | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    switch (k) {
      case "index":
        if (v == null) continue
        if (typeof v !== "number") return fail("number", v, k)
        index = v
        continue
      case "id":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        id = v
        continue
      case "type":
        if (v == null) continue
        if (typeof v !== "string") return fail("string", v, k)
        type = v
        continue
      case "function":
        if (v == null) continue
        if ((fn = record(v, k, functionDelta)) === FAIL) return FAIL
        continue
    }
    keep(out, k, v)
  }
  if (index !== undefined) out.index = index
  if (id !== undefined) out.id = id
  if (type !== undefined) out.type = type
  if (fn !== undefined) out.function = fn
  return out
}

const delta = message({ role: undefined, toolCall: toolCallDelta, functionCall: functionDelta, audio: undefined })

const chunk = envelope(
  "chat.completion.chunk",
  choice({ body: "delta", bodyFirst: true, decode: delta, empty: () => ({}) })
)

/**
 * Normalises one parsed JSON value as a chunk, or describes why the schema would reject it.
 *
 * @internal
 */
export const decodeChunk: (u: unknown) => ChatCompletionChunk.ChatCompletionChunk | DecodeFailure = decoder(
  chunk,
  "chunk"
)
