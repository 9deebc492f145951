/**
 * A hand-written, synchronous normaliser for non-streaming responses. For any JSON value it returns exactly what
 * `Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)` returns (same defaults, null and absent the same, unknown
 * fields kept by reference, keys in the schema's order, object `arguments` as their JSON text), or a `DecodeFailure`
 * naming the path where the schema fails. It exists because the schema decoder costs tens of microseconds per
 * response; a test proves the equivalence on recorded bodies and generated values. The primitives it shares with the
 * chunk decoder live in `wireDecode`.
 *
 * @since 0.1.0
 */
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
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
  primitives,
  record
} from "./wireDecode.js"

export { DecodeFailure }

const functionCall: DecodeObj = (u) => {
  const out: Obj = {}
  let name = ""
  let args = ""
  for (const k in u) {
    const v = u[k]
    if (k === "name") {
      if (v == null) continue
      if (typeof v !== "string") return fail("string", v, k)
      name = v
    } else if (k === "arguments") {
      if (v == null) continue
      const text = argumentsText(v, k)
      if (text === FAIL) return FAIL
      args = text
    } else {
      keep(out, k, v)
    }
  }
  out.name = name
  out.arguments = args
  return out
}

const toolCall: Decode = (u) => {
  if (!isRecord(u)) return fail("an object", u, "")
  const out: Obj = {}
  let id = ""
  let type = "function"
  let fn: Obj | FAIL | undefined
  for (const k in u) {
    const v = u[k]
    switch (k) {
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
        if ((fn = record(v, k, functionCall)) === FAIL) return FAIL
        continue
    }
    keep(out, k, v)
  }
  out.id = id
  out.type = type
  out.function = fn ?? { name: "", arguments: "" }
  return out
}

const audio = primitives({ id: "string", expires_at: "number", data: "string", transcript: "string" })

const completion = envelope(
  "chat.completion",
  choice({
    body: "message",
    bodyFirst: false,
    decode: message({ role: "assistant", toolCall, functionCall, audio }),
    empty: () => ({ role: "assistant" })
  })
)

/**
 * Normalises one parsed JSON response body as a chat completion, or describes why the schema would reject it.
 *
 * @internal
 */
export const decodeCompletion: (u: unknown) => ChatCompletion.ChatCompletion | DecodeFailure = decoder(
  completion,
  "completion"
)
