/**
 * First-chunk and idle timeouts with one watchdog fiber per stream. The input runs in a fiber of its own, at most
 * 16 chunks ahead of the consumer. The first-chunk phase ends when the caller says the first data has arrived
 * (`isStarted`, called in the reading fiber with every chunk read; by default the first element is the first data),
 * so a reader of SSE bytes can end it at the first data event while keep-alive comments, which are elements too, do
 * not. The idle phase, after that, measures silence since the last element. Time counts only while the input fiber
 * waits for its source: a slow consumer never causes a timeout.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"

/** @internal */
export interface WatchOptions<A, E2> {
  /** Milliseconds from the start to the first data (`Infinity` disables). */
  readonly firstMs: number
  /** Milliseconds of silence allowed after the first data (`Infinity` disables). */
  readonly idleMs: number
  /** Called with every chunk read: whether the first data has arrived by then (default: any element is data). */
  readonly isStarted?: (chunk: Chunk.Chunk<A>) => boolean
  /** The error for a timeout. */
  readonly onTimeout: (phase: "first-chunk" | "idle", limitMs: number) => E2
}

const readAhead = 16

/**
 * Runs `self` under first-chunk and idle timeouts. On a timeout the input is interrupted (which cancels the socket
 * under it) and the stream fails with `onTimeout`, after the elements that did arrive.
 *
 * @internal
 */
export const watch = <A, E, R, E2>(
  self: Stream.Stream<A, E, R>,
  options: WatchOptions<A, E2>
): Stream.Stream<A, E | E2, R> => {
  const { firstMs, idleMs, isStarted } = options
  if (!Number.isFinite(firstMs) && !Number.isFinite(idleMs)) return self
  const pollMs = Math.min(Number.isFinite(firstMs) ? firstMs : idleMs, Number.isFinite(idleMs) ? idleMs : firstMs)
  type Signal = Exit.Exit<Chunk.Chunk<A>, Option.Option<E | E2>>
  return Stream.unwrapScoped(Effect.gen(function*() {
    const clock = yield* Effect.clock
    const queue = yield* Effect.acquireRelease(Queue.bounded<Signal>(readAhead), Queue.shutdown)
    const startedAt = clock.unsafeCurrentTimeMillis()
    let started = false
    let waitingSince = startedAt
    const resume = Effect.sync(() => {
      waitingSince = clock.unsafeCurrentTimeMillis()
    })
    const producer = yield* Stream.runForEachChunk(self, (chunk) => {
      if (Chunk.isEmpty(chunk)) return Effect.void
      const data = isStarted === undefined || isStarted(chunk)
      if (!started) started = data
      waitingSince = -1
      return Effect.zipRight(Queue.offer(queue, Exit.succeed(chunk)), resume)
    }).pipe(
      Effect.matchCauseEffect({
        onSuccess: () => Queue.offer(queue, Exit.fail(Option.none())),
        onFailure: (cause) => Queue.offer(queue, Exit.failCause(Cause.map(cause, Option.some)))
      }),
      Effect.forkScoped
    )
    const fire = (phase: "first-chunk" | "idle", limitMs: number) =>
      Effect.zipRight(
        Queue.offer(queue, Exit.fail(Option.some(options.onTimeout(phase, limitMs)))),
        Fiber.interruptFork(producer)
      )
    const check: Effect.Effect<void> = Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      if (!started) {
        if (!Number.isFinite(firstMs)) return Effect.zipRight(Effect.sleep(pollMs), check)
        const remaining = startedAt + firstMs - now
        return remaining > 0
          ? Effect.zipRight(Effect.sleep(Math.min(remaining, pollMs)), check)
          : fire("first-chunk", firstMs)
      }
      const since = waitingSince
      if (since < 0 || !Number.isFinite(idleMs)) return Effect.zipRight(Effect.sleep(pollMs), check)
      const remaining = since + idleMs - now
      return remaining > 0 ? Effect.zipRight(Effect.sleep(Math.min(remaining, pollMs)), check) : fire("idle", idleMs)
    })
    yield* Effect.forkScoped(check)
    let held: Signal | undefined = undefined
    const take = (signals: Chunk.Chunk<Signal>): Signal => {
      let data: Chunk.Chunk<A> | undefined = undefined
      for (const signal of signals) {
        if (Exit.isFailure(signal)) {
          held = signal
          break
        }
        data = data === undefined ? signal.value : Chunk.appendAll(data, signal.value)
      }
      if (data !== undefined) return Exit.succeed(data)
      const signal = held!
      held = undefined
      return signal
    }
    const pull = Effect.flatMap(Queue.takeBetween(queue, 1, readAhead), take)
    return Stream.repeatEffectChunkOption(Effect.suspend(() => {
      if (held === undefined) return pull
      const signal = held
      held = undefined
      return signal
    }))
  }))
}
