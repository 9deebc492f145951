/**
 * The stream side of `ChatStream.decodeSse`: the reader in a chunk-wise channel, and the first-chunk and idle
 * timeouts on the bytes, where the first-chunk phase ends at the first SSE data event (found by a parser that stops
 * there) and the idle phase counts every read.
 *
 * @since 0.1.0
 */
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { DecodeSseOptions, SseError } from "../ChatStream.js"
import * as NexosError from "../NexosError.js"
import { SseChunkReader, SseParser } from "./sse.js"
import * as Watchdog from "./watchdog.js"

/** @internal */
export const defaultMaxEventBytes = 8 * 1024 * 1024

const maxChunksPerWrite = 1024

const millisOf = (input: Duration.DurationInput | undefined): number =>
  input === undefined ? Infinity : Duration.toMillis(Duration.decode(input))

const decodeBytes = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  options: DecodeSseOptions | undefined,
  now: () => number
): Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E | SseError, R> =>
  Stream.suspend(() => {
    const reader = new SseChunkReader({
      maxEventBytes: options?.maxEventBytes ?? defaultMaxEventBytes,
      requireDone: options?.requireDone ?? true,
      requestId: options?.requestId,
      secrets: options?.secrets,
      headers: options?.headers,
      now
    })
    const finish = (
      out: Array<ChatCompletionChunk.ChatCompletionChunk>
    ): Channel.Channel<Chunk.Chunk<ChatCompletionChunk.ChatCompletionChunk>, unknown, SseError> => {
      const emit = out.length === 0 ? Channel.void : Channel.write(Chunk.unsafeFromArray(out))
      const failure = reader.failure
      return failure === undefined ? emit : Channel.zipRight(emit, Channel.fail(failure))
    }
    type Loop = Channel.Channel<
      Chunk.Chunk<ChatCompletionChunk.ChatCompletionChunk>,
      Chunk.Chunk<Uint8Array>,
      SseError | E,
      E,
      unknown,
      unknown
    >
    const step = (pieces: ReadonlyArray<Uint8Array>, from: number): Loop => {
      const out: Array<ChatCompletionChunk.ChatCompletionChunk> = []
      let i = from
      while (i < pieces.length && out.length < maxChunksPerWrite) {
        reader.feed(pieces[i++], out)
        if (reader.done || reader.failure !== undefined) return finish(out)
      }
      const next = i < pieces.length ? Channel.suspend(() => step(pieces, i)) : loop
      return out.length === 0 ? next : Channel.zipRight(Channel.write(Chunk.unsafeFromArray(out)), next)
    }
    const loop: Loop = Channel.readWithCause({
      onInput: (input: Chunk.Chunk<Uint8Array>) => step(Chunk.toReadonlyArray(input), 0),
      onFailure: Channel.failCause,
      onDone: () => {
        const out: Array<ChatCompletionChunk.ChatCompletionChunk> = []
        reader.end(out)
        return finish(out)
      }
    })
    return Stream.pipeThroughChannelOrFail(bytes, loop)
  })

/** Finds the first SSE data event in bytes (and then stops parsing): where the first-chunk timeout ends. */
class FirstEvent {
  seen = false
  private readonly parser: SseParser
  constructor(maxEventChars: number) {
    this.parser = new SseParser({
      onEvent: () => this.seen = true,
      onOversize: () => {
        this.seen = true
      }
    }, maxEventChars)
  }
  feed(bytes: Uint8Array): void {
    this.parser.feed(bytes)
  }
}

/**
 * `ChatStream.decodeSse`, with `onBytes` told the size of every read (the client counts the body's bytes with it).
 *
 * @internal
 */
export const decode = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  options: DecodeSseOptions | undefined,
  onBytes?: (size: number) => void,
  watch?: (
    options: Watchdog.WatchOptions<Uint8Array, NexosError.Timeout>
  ) => Stream.Stream<Uint8Array, E | NexosError.Timeout, R>
): Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E | SseError, R> =>
  Stream.unwrap(Effect.map(Effect.clock, (clock) => {
    const now = () => clock.unsafeCurrentTimeMillis()
    const firstMs = millisOf(options?.firstChunkTimeout)
    const idleMs = millisOf(options?.idleTimeout)
    if (!Number.isFinite(firstMs) && !Number.isFinite(idleMs)) {
      if (onBytes === undefined) return decodeBytes(bytes, options, now)
      const counted = Stream.mapChunks(bytes, (pieces) => {
        for (const piece of pieces) onBytes(piece.length)
        return pieces
      })
      return decodeBytes(counted, options, now)
    }
    let received = 0
    const requestId = options?.requestId === undefined ? {} : { requestId: options.requestId }
    const first = new FirstEvent(options?.maxEventBytes ?? defaultMaxEventBytes)
    const watchOptions: Watchdog.WatchOptions<Uint8Array, NexosError.Timeout> = {
      firstMs,
      idleMs,
      isStarted: (pieces) => {
        for (const piece of pieces) {
          received += piece.length
          if (onBytes !== undefined) onBytes(piece.length)
          if (!first.seen) first.feed(piece)
        }
        return first.seen
      },
      onTimeout: (phase, timeoutMs) =>
        new NexosError.Timeout({
          message: phase === "first-chunk"
            ? `no data event within ${timeoutMs} ms of the start of the stream (${
              received === 0 ? "no bytes" : `${received} bytes, no data event among them: comments or keep-alives`
            })`
            : `no bytes for ${timeoutMs} ms in the middle of the stream`,
          phase,
          timeoutMs,
          afterFirstByte: true,
          bodyBytes: received,
          ...requestId
        })
    }
    const watched = watch === undefined ? Watchdog.watchPulls(bytes, watchOptions) : watch(watchOptions)
    return decodeBytes(watched, options, now)
  }))
