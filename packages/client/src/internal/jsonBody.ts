/**
 * A streaming request answered with a JSON body (some gateways ignore `stream: true`): the chunks a stream of the
 * same answer would have carried. A completion becomes, per choice, one chunk with the whole message as its delta
 * (tool calls at indices 0, 1, ... in order) and one with its `finish_reason`, then one chunk with the usage; a body
 * that is itself a chunk stays one chunk.
 *
 * @since 0.1.0
 */
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import { decodeChunk } from "./chunkDecoder.js"
import { decodeCompletion, DecodeFailure } from "./completionDecoder.js"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const isChunk = (u: Record<string, unknown>): boolean =>
  u.object === "chat.completion.chunk" ||
  (Array.isArray(u.choices) && u.choices.some((c) => isRecord(c) && isRecord(c.delta) && !isRecord(c.message)))

const deltaOf = (message: ChatCompletion.Message): Record<string, unknown> => {
  const delta: Record<string, unknown> = { role: message.role }
  if (message.content !== undefined) delta.content = message.content
  if (message.reasoning_content !== undefined) delta.reasoning_content = message.reasoning_content
  if (message.reasoning !== undefined) delta.reasoning = message.reasoning
  if (message.refusal !== undefined) delta.refusal = message.refusal
  if (message.tool_calls !== undefined) {
    delta.tool_calls = message.tool_calls.map((call, index) => ({
      index,
      id: call.id,
      type: call.type,
      function: { name: call.function.name, arguments: call.function.arguments }
    }))
  }
  if (message.function_call !== undefined) {
    delta.function_call = { name: message.function_call.name, arguments: message.function_call.arguments }
  }
  if (message.annotations !== undefined) delta.annotations = message.annotations
  return delta
}

/**
 * The chunks of a parsed JSON body that is a completion or a chunk, or why it is neither.
 *
 * @internal
 */
export const chunksOf = (json: unknown): Array<ChatCompletionChunk.ChatCompletionChunk> | DecodeFailure => {
  if (isRecord(json) && isChunk(json)) {
    const chunk = decodeChunk(json)
    return chunk instanceof DecodeFailure ? chunk : [chunk]
  }
  const completion = decodeCompletion(json)
  if (completion instanceof DecodeFailure) return completion
  const head = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
    ...(completion.system_fingerprint === undefined ? {} : { system_fingerprint: completion.system_fingerprint }),
    ...(completion.service_tier === undefined ? {} : { service_tier: completion.service_tier })
  }
  const wire: Array<unknown> = []
  for (const choice of completion.choices) {
    wire.push({
      ...head,
      choices: [{
        index: choice.index,
        delta: deltaOf(choice.message),
        ...(choice.logprobs === undefined ? {} : { logprobs: choice.logprobs })
      }]
    })
    if (choice.finish_reason !== undefined) {
      wire.push({ ...head, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason }] })
    }
  }
  if (completion.usage !== undefined) wire.push({ ...head, choices: [], usage: completion.usage })
  const out: Array<ChatCompletionChunk.ChatCompletionChunk> = []
  for (const w of wire) {
    const chunk = decodeChunk(w)
    if (chunk instanceof DecodeFailure) return chunk
    out.push(chunk)
  }
  return out
}
