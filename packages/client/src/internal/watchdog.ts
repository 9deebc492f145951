/**
 * First-chunk and idle timeouts with one watchdog fiber per stream. The input runs in a fiber of its own, at most
 * 16 chunks ahead of the consumer; what counts is stated by the caller: the first-chunk phase ends at the first
 * element the input produces, and the idle phase measures silence since the later of the last element and the
 * last `touch` (a caller that reads bytes and decodes them touches on every read, so bytes that produce no element,
 * such as SSE keep-alive comments, keep a started stream alive but never end the first-chunk phase). Time counts
 * only while the input fiber waits for its source: a slow consumer never causes a timeout.
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
export interface WatchOptions<E2> {
  /** Milliseconds from the start to the first element (`Infinity` disables). */
  readonly firstMs: number
  /** Milliseconds of silence allowed after the first element (`Infinity` disables). */
  readonly idleMs: number
  /** The error for a timeout. */
  readonly onTimeout: (phase: "first-chunk" | "idle", limitMs: number) => E2
}

const readAhead = 16

/**
 * Runs `make(touch)` under first-chunk and idle timeouts. On a timeout the input is interrupted (which cancels the
 * socket under it) and the stream fails with `onTimeout`, after the elements that did arrive.
 *
 * @internal
 */
export const watch = <A, E, R, E2>(
  make: (touch: () => void) => Stream.Stream<A, E, R>,
  options: WatchOptions<E2>
): Stream.Stream<A, E | E2, R> => {
  const { firstMs, idleMs } = options
  if (!Number.isFinite(firstMs) && !Number.isFinite(idleMs)) return Stream.suspend(() => make(() => {}))
  const pollMs = Math.min(Number.isFinite(firstMs) ? firstMs : idleMs, Number.isFinite(idleMs) ? idleMs : firstMs)
  type Signal = Exit.Exit<Chunk.Chunk<A>, Option.Option<E | E2>>
  return Stream.unwrapScoped(Effect.gen(function*() {
    const clock = yield* Effect.clock
    const queue = yield* Effect.acquireRelease(Queue.bounded<Signal>(readAhead), Queue.shutdown)
    const startedAt = clock.unsafeCurrentTimeMillis()
    let started = false
    let waitingSince = startedAt
    let touchedAt = -1
    const touch = () => {
      touchedAt = clock.unsafeCurrentTimeMillis()
    }
    const resume = Effect.sync(() => {
      waitingSince = clock.unsafeCurrentTimeMillis()
    })
    const producer = yield* Stream.runForEachChunk(make(touch), (chunk) => {
      if (Chunk.isEmpty(chunk)) return Effect.void
      started = true
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
      const remaining = Math.max(since, touchedAt) + idleMs - now
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
