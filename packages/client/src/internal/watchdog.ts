/**
 * First-chunk and idle timeouts with one watchdog fiber per stream, on Effect's `Clock` (so `TestClock` drives them).
 * The first-chunk phase ends when the caller says the first data has arrived (`isStarted`, called with every chunk
 * read; by default the first element is the first data), so a reader of SSE bytes can end it at the first data event
 * while keep-alive comments, which are elements too, do not. The idle phase, after that, measures each wait for the
 * input. Time counts only while the input is waited for: a slow consumer never causes a timeout. `watch` reads the
 * input in a fiber of its own, up to 16 chunks ahead; `watchPulls` reads nothing ahead (for response bytes).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import type * as Clock from "effect/Clock"
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

type Phase = "first-chunk" | "idle"

/** Where a watched stream is: started (first data seen) and since when the input is waited for (-1: not waited for). */
class Watched<A> {
  readonly startedAt: number
  started = false
  waitingSince: number
  constructor(
    readonly clock: Clock.Clock,
    readonly isStarted: ((chunk: Chunk.Chunk<A>) => boolean) | undefined,
    waiting: boolean
  ) {
    this.startedAt = clock.unsafeCurrentTimeMillis()
    this.waitingSince = waiting ? this.startedAt : -1
  }
  /** Notes a chunk read: it ends the first-chunk phase if it holds the first data. */
  read(chunk: Chunk.Chunk<A>): void {
    if (Chunk.isEmpty(chunk)) return
    const data = this.isStarted === undefined || this.isStarted(chunk)
    if (!this.started) this.started = data
  }
  /** Sleeps on the clock until a phase's limit passes, then runs `fire` with it. */
  check<X>(firstMs: number, idleMs: number, fire: (phase: Phase, limitMs: number) => Effect.Effect<X>) {
    const pollMs = Math.min(Number.isFinite(firstMs) ? firstMs : idleMs, Number.isFinite(idleMs) ? idleMs : firstMs)
    const loop: Effect.Effect<X> = Effect.suspend(() => {
      const now = this.clock.unsafeCurrentTimeMillis()
      if (!this.started) {
        if (!Number.isFinite(firstMs)) return Effect.zipRight(Effect.sleep(pollMs), loop)
        const remaining = this.startedAt + firstMs - now
        return remaining > 0
          ? Effect.zipRight(Effect.sleep(Math.min(remaining, pollMs)), loop)
          : fire("first-chunk", firstMs)
      }
      const since = this.waitingSince
      if (since < 0 || !Number.isFinite(idleMs)) return Effect.zipRight(Effect.sleep(pollMs), loop)
      const remaining = since + idleMs - now
      return remaining > 0 ? Effect.zipRight(Effect.sleep(Math.min(remaining, pollMs)), loop) : fire("idle", idleMs)
    })
    return loop
  }
}

const readAhead = 16

/**
 * Runs `self` under first-chunk and idle timeouts, read by a fiber of its own at most 16 chunks ahead of the
 * consumer. On a timeout the input is interrupted (which cancels the socket under it) and the stream fails with
 * `onTimeout`, after the elements that did arrive.
 *
 * @internal
 */
export const watch = <A, E, R, E2>(
  self: Stream.Stream<A, E, R>,
  options: WatchOptions<A, E2>
): Stream.Stream<A, E | E2, R> => {
  const { firstMs, idleMs } = options
  if (!Number.isFinite(firstMs) && !Number.isFinite(idleMs)) return self
  type Signal = Exit.Exit<Chunk.Chunk<A>, Option.Option<E | E2>>
  return Stream.unwrapScoped(Effect.gen(function*() {
    const state = new Watched<A>(yield* Effect.clock, options.isStarted, true)
    const queue = yield* Effect.acquireRelease(Queue.bounded<Signal>(readAhead), Queue.shutdown)
    const resume = Effect.sync(() => {
      state.waitingSince = state.clock.unsafeCurrentTimeMillis()
    })
    const producer = yield* Stream.runForEachChunk(self, (chunk) => {
      if (Chunk.isEmpty(chunk)) return Effect.void
      state.read(chunk)
      state.waitingSince = -1
      return Effect.zipRight(Queue.offer(queue, Exit.succeed(chunk)), resume)
    }).pipe(
      Effect.matchCauseEffect({
        onSuccess: () => Queue.offer(queue, Exit.fail(Option.none())),
        onFailure: (cause) => Queue.offer(queue, Exit.failCause(Cause.map(cause, Option.some)))
      }),
      Effect.forkScoped
    )
    yield* Effect.forkScoped(state.check(firstMs, idleMs, (phase, limitMs) =>
      Effect.zipRight(
        Queue.offer(queue, Exit.fail(Option.some(options.onTimeout(phase, limitMs)))),
        Fiber.interruptFork(producer)
      )))
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

/**
 * Runs `self` under first-chunk and idle timeouts without reading ahead: each pull of the consumer runs in a short
 * fiber of its own, and the watchdog fiber interrupts the pull that waits too long. Made for streams of large chunks
 * such as 64 KiB response reads, where a fork per read is cheap. The pull hands its chunk over in a variable the
 * consumer empties, never as the fiber's result, and nothing is buffered in between, so a read dies young: a buffer
 * held by a finished fiber or a queue outlives the young generation's collections and, promoted, keeps its bytes
 * until a major GC (RSS that grows with the stream's length). On a timeout the pending pull is interrupted, the
 * input closed (which cancels the socket under it) and the stream fails with `onTimeout`, after the elements that
 * did arrive.
 *
 * @internal
 */
export const watchPulls = <A, E, R, E2>(
  self: Stream.Stream<A, E, R>,
  options: WatchOptions<A, E2>
): Stream.Stream<A, E | E2, R> => {
  const { firstMs, idleMs } = options
  if (!Number.isFinite(firstMs) && !Number.isFinite(idleMs)) return self
  return Stream.unwrapScoped(Effect.gen(function*() {
    const state = new Watched<A>(yield* Effect.clock, options.isStarted, false)
    const pull = yield* Stream.toPull(self)
    let timedOut: Option.Option<E | E2> | undefined = undefined
    let pending: Fiber.RuntimeFiber<void, Option.Option<E>> | undefined = undefined
    let read: Chunk.Chunk<A> = Chunk.empty()
    yield* Effect.forkScoped(state.check(firstMs, idleMs, (phase, limitMs) =>
      Effect.suspend(() => {
        timedOut = Option.some(options.onTimeout(phase, limitMs))
        return pending === undefined ? Effect.void : Fiber.interruptFork(pending)
      })))
    const readOne = Effect.map(pull, (chunk) => {
      state.read(chunk)
      read = chunk
    })
    const settle = (exit: Exit.Exit<void, Option.Option<E>>): Exit.Exit<Chunk.Chunk<A>, Option.Option<E | E2>> => {
      pending = undefined
      state.waitingSince = -1
      if (timedOut !== undefined) return Exit.fail(timedOut)
      if (Exit.isFailure(exit)) return Exit.failCause(exit.cause)
      const chunk = read
      read = Chunk.empty()
      return Exit.succeed(chunk)
    }
    return Stream.repeatEffectChunkOption(Effect.suspend(() => {
      if (timedOut !== undefined) return Effect.fail(timedOut)
      state.waitingSince = state.clock.unsafeCurrentTimeMillis()
      return Effect.flatMap(Effect.fork(readOne), (fiber) => {
        pending = fiber
        return Effect.flatMap(Effect.onInterrupt(Fiber.await(fiber), () => Fiber.interrupt(fiber)), settle)
      })
    }))
  }))
}
