import type * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Batch from "../Batch.js"
import * as NexosError from "../NexosError.js"
import { type Entry, estimateTokens, type Hooks, run } from "./batchEngine.js"

interface Member {
  readonly key: string
  readonly index: number
  readonly input: string | ReadonlyArray<number>
}

const groupPrefix = "\u0000embed#"

const expand = (
  result: Batch.Result<unknown>,
  members: ReadonlyArray<Member>
): Array<Batch.Result<Batch.Embedded>> => {
  const outcome = result.outcome
  const timing = result.startedAt === undefined ? {} : { startedAt: result.startedAt, finishedAt: result.finishedAt }
  if (outcome._tag !== "Succeeded") {
    return members.map((m) => ({
      key: m.key,
      index: m.index,
      outcome: outcome as Batch.Outcome<Batch.Embedded>,
      attempts: result.attempts,
      ...timing
    }))
  }
  const response = outcome.value as Embeddings.EmbeddingsResponse
  const byIndex = new Map(response.data.map((d) => [d.index, d]))
  const positional = byIndex.size !== response.data.length
  return members.map((m, i) => {
    const data = positional ? response.data[i] : byIndex.get(i)
    return {
      key: m.key,
      index: m.index,
      attempts: result.attempts,
      ...timing,
      outcome: data === undefined
        ? {
          _tag: "Failed",
          error: new NexosError.DecodeError({
            message: `The embeddings response has no embedding for input ${i} of ${members.length} ` +
              `(it has ${response.data.length})`,
            excerpt: "",
            ...(outcome.meta?.requestId === undefined ? {} : { requestId: outcome.meta.requestId })
          })
        }
        : { _tag: "Succeeded", value: { embedding: data.embedding, model: response.model }, meta: outcome.meta }
    }
  })
}

export const embed = (
  inputs: Stream.Stream<Batch.EmbeddingInput, any, any>,
  options: Batch.EmbedOptions,
  hooks: Hooks
): Stream.Stream<Batch.Result<Batch.Embedded>, any, any> =>
  Stream.suspend(() => {
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 100))
    const maxTokens = options.maxTokensPerRequest
    const duplicates = options.duplicates ?? "fail"
    const store = hooks.store
    const seen = new Set<string>()
    const groups = new Map<string, ReadonlyArray<Member>>()
    let index = 0
    let groupCount = 0
    let pending: Array<Member> = []
    let pendingTokens = 0

    const request = (members: ReadonlyArray<Member>): Embeddings.EmbeddingsRequest => ({
      model: options.model,
      input: typeof members[0]!.input === "string"
        ? members.map((m) => m.input as string)
        : members.map((m) => m.input as ReadonlyArray<number>),
      ...(options.dimensions === undefined ? {} : { dimensions: options.dimensions }),
      ...(options.encodingFormat === undefined ? {} : { encoding_format: options.encodingFormat })
    })

    const close = (): Entry | undefined => {
      if (pending.length === 0) return undefined
      const members = pending
      pending = []
      pendingTokens = 0
      const key = `${groupPrefix}${groupCount++}`
      groups.set(key, members)
      return { key, index: members[0]!.index, request: request(members), options: undefined }
    }

    const add = (member: Member, out: Array<Entry>) => {
      const tokens = typeof member.input === "string"
        ? estimateTokens({ model: options.model, input: member.input })
        : member.input.length
      const mixed = pending.length > 0 && (typeof pending[0]!.input === "string") !== (typeof member.input === "string")
      if (
        mixed || pending.length >= batchSize ||
        (maxTokens !== undefined && pending.length > 0 && pendingTokens + tokens > maxTokens)
      ) {
        const closed = close()
        if (closed !== undefined) out.push(closed)
      }
      pending.push(member)
      pendingTokens += tokens
    }

    const admit = (chunk: Chunk.Chunk<Batch.EmbeddingInput>): Effect.Effect<Chunk.Chunk<Entry>, Batch.BatchError> => {
      const fresh: Array<Member> = []
      for (const item of chunk) {
        const position = index++
        if (seen.has(item.key)) {
          if (duplicates === "fail") return Effect.fail(hooks.duplicate(item.key, position))
          continue
        }
        seen.add(item.key)
        fresh.push({ key: item.key, index: position, input: item.input })
      }
      const group = (recorded: ReadonlyMap<string, Batch.Recorded>) => {
        const out: Array<Entry> = []
        for (const member of fresh) {
          const found = recorded.get(member.key)
          if (found !== undefined && !(found.status === "failed" && found.retryable && options.retryFailed === true)) {
            out.push({
              key: member.key,
              index: member.index,
              request: undefined,
              options: undefined,
              ready: {
                key: member.key,
                index: member.index,
                outcome: { _tag: "Skipped", recorded: found },
                attempts: 0
              }
            })
          } else {
            add(member, out)
          }
        }
        return Chunk.unsafeFromArray(out)
      }
      if (Option.isNone(store) || fresh.length === 0) return Effect.succeed(group(new Map()))
      return Effect.map(store.value.lookup(fresh.map((m) => m.key)), group)
    }

    const entries = inputs.pipe(
      Stream.mapChunksEffect(admit),
      Stream.concat(Stream.suspend(() => Stream.fromIterable(Option.toArray(Option.fromNullable(close())))))
    )
    return run(entries, options, { store: Option.none(), duplicate: hooks.duplicate }).pipe(
      Stream.mapChunksEffect((results) => {
        const out: Array<Batch.Result<Batch.Embedded>> = []
        const finished: Array<Batch.Result<Batch.Embedded>> = []
        for (const result of results) {
          const members = groups.get(result.key)
          if (members === undefined) {
            out.push(result as Batch.Result<Batch.Embedded>)
            continue
          }
          groups.delete(result.key)
          for (const member of expand(result, members)) {
            out.push(member)
            if (member.outcome._tag === "Succeeded" || member.outcome._tag === "Failed") finished.push(member)
          }
        }
        const emitted = Chunk.unsafeFromArray(out)
        if (Option.isNone(store) || finished.length === 0) return Effect.succeed(emitted)
        return Effect.as(Effect.uninterruptible(store.value.record(finished)), emitted)
      })
    )
  })
