import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as Usage from "@nexos-effect/schema/Usage"
import * as Chunk from "effect/Chunk"
import type * as Tracer from "effect/Tracer"

const finishReasons = (reasons: ReadonlyArray<readonly [number, string]>): Array<string> =>
  reasons.slice().sort((a, b) => a[0] - b[0]).map(([, reason]) => reason)

const usageAttributes = (usage: Usage.Usage | undefined): Record<string, unknown> =>
  usage === undefined ? {} : {
    "gen_ai.usage.input_tokens": usage.prompt_tokens,
    "gen_ai.usage.output_tokens": usage.completion_tokens
  }

/** The GenAI response attributes of a completion. `finish_reasons`: one per choice that reported one, by index. */
export const ofCompletion = (completion: ChatCompletion.ChatCompletion): Record<string, unknown> => ({
  "gen_ai.response.id": completion.id,
  "gen_ai.response.model": completion.model,
  "gen_ai.response.finish_reasons": finishReasons(
    completion.choices.flatMap((c) =>
      c.finish_reason === undefined || c.finish_reason === ""
        ? []
        : [[c.index, c.finish_reason] as const]
    )
  ),
  ...usageAttributes(completion.usage)
})

/** Watches a chunk stream and puts the same attributes as `ofCompletion` on a span, plus the time to first chunk. */
export class ChunkSummary {
  private id = ""
  private model = ""
  private usage: Usage.Usage | undefined = undefined
  private readonly reasons = new Map<number, string>()
  private firstChunkMs: number | undefined = undefined

  constructor(private readonly startedAt: number, private readonly now: () => number) {}

  observe = (chunk: Chunk.Chunk<ChatCompletionChunk.ChatCompletionChunk>): Chunk.Chunk<
    ChatCompletionChunk.ChatCompletionChunk
  > => {
    const chunks = Chunk.toReadonlyArray(chunk)
    if (this.firstChunkMs === undefined && chunks.length > 0) this.firstChunkMs = this.now() - this.startedAt
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]
      if (this.id === "" && c.id !== "") this.id = c.id
      if (this.model === "" && c.model !== "") this.model = c.model
      if (c.usage !== undefined) this.usage = c.usage
      const choices = c.choices
      for (let j = 0; j < choices.length; j++) {
        const reason = choices[j].finish_reason
        if (reason !== undefined && reason !== "") this.reasons.set(choices[j].index, reason)
      }
    }
    return chunk
  }

  annotate(span: Tracer.Span): void {
    if (this.firstChunkMs === undefined) return
    const attributes: Record<string, unknown> = {
      "gen_ai.response.time_to_first_chunk_ms": this.firstChunkMs,
      "gen_ai.response.id": this.id,
      "gen_ai.response.model": this.model,
      "gen_ai.response.finish_reasons": finishReasons([...this.reasons]),
      ...usageAttributes(this.usage)
    }
    for (const key in attributes) span.attribute(key, attributes[key])
  }
}
