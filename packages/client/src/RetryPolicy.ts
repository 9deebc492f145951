/**
 * Retry policy. Two separate decisions, each replaceable per client and per request:
 *
 * - which failures are retried: the client's `retryOn` predicate, by default `RetryPolicy.isRetryable` (the error's
 *   own `isRetryable`, the one classification shared with users, which honours `x-should-retry`);
 * - when, and how often: the `retry` policy, an Effect `Schedule` fed with each failure that `retryOn` accepted. The
 *   default waits the server's `retry-after-ms`, else `Retry-After` (within 0..60 s), else backs off exponentially
 *   from 0.5 s doubling to 8 s with up to 25% jitter. Any `Schedule` will do; wrap it in `honorRetryAfter` to keep
 *   the server's wait.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as NexosError from "./NexosError.js"

/**
 * A retry policy: a schedule fed with each failure that the client's `retryOn` accepted.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryPolicy = Schedule.Schedule<unknown, NexosError.NexosError>

/**
 * Decides whether a failure is retried (the client's `retryOn` option).
 *
 * @since 0.1.0
 * @category models
 */
export type RetryOn = (error: NexosError.NexosError) => boolean

/**
 * The default `retryOn`: the error's own `isRetryable` (connection errors, timeouts before the response started,
 * 408, 409, 429 but not `insufficient_quota`, 5xx but not 501; `x-should-retry` decides first).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable: RetryOn = (error) => error.isRetryable

/**
 * The wait the server asked for on a failure (`retry-after-ms`, else `Retry-After` as seconds or an HTTP date,
 * when within 0..60 s).
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfter = (error: NexosError.NexosError): Option.Option<Duration.Duration> =>
  "retryAfterMs" in error && error.retryAfterMs !== undefined
    ? Option.some(Duration.millis(error.retryAfterMs))
    : Option.none()

/**
 * Makes any schedule honour the server's wait: a failure with a retry-after (see `retryAfter`) waits exactly that,
 * any other waits what `schedule` says; `schedule` still decides how many retries there are.
 *
 * @example
 * import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
 * import { Schedule } from "effect"
 *
 * const policy = RetryPolicy.honorRetryAfter(Schedule.spaced("2 seconds").pipe(Schedule.intersect(Schedule.recurs(4))))
 *
 * @since 0.1.0
 * @category combinators
 */
export const honorRetryAfter = <Out, R>(
  schedule: Schedule.Schedule<Out, NexosError.NexosError, R>
): Schedule.Schedule<Out, NexosError.NexosError, R> =>
  Schedule.intersect(schedule, Schedule.identity<NexosError.NexosError>()).pipe(
    Schedule.modifyDelay(([, error], delay) => Option.getOrElse(retryAfter(error), () => delay)),
    Schedule.map(([out]) => out)
  )

/**
 * Settings of the default policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** Retries after the first attempt (default 2, so 3 attempts). */
  readonly maxRetries?: number
  /** First backoff delay (default 0.5 s). */
  readonly initialDelay?: Duration.DurationInput
  /** Largest backoff delay (default 8 s). */
  readonly maxDelay?: Duration.DurationInput
  /** Largest fraction taken off a backoff delay at random (default 0.25). */
  readonly jitter?: number
}

/**
 * The wait before retry number `retry` (0 for the first retry) after `error`, given a random number in [0, 1):
 * the server's retry-after when present, else `min(initial * 2^retry, max) * (1 - random * jitter)`, rounded to
 * whole milliseconds.
 *
 * @since 0.1.0
 * @category utils
 */
export const delayFor = (
  retry: number,
  error: NexosError.NexosError,
  random: number,
  settings: Settings = {}
): Duration.Duration => {
  const server = retryAfter(error)
  if (Option.isSome(server)) return server.value
  const initial = Duration.toMillis(settings.initialDelay ?? "500 millis")
  const max = Duration.toMillis(settings.maxDelay ?? "8 seconds")
  const nominal = Math.min(initial * 2 ** retry, max)
  return Duration.millis(Math.round(nominal * (1 - random * (settings.jitter ?? 0.25))))
}

/**
 * Builds the default policy: at most `maxRetries` retries, waiting `delayFor` (the server's retry-after, else
 * backoff). Which failures get here is the client's `retryOn` (used on its own, pair it with `while:
 * RetryPolicy.isRetryable` in `Effect.retry`). Each wait is logged at debug level with the error's tag and the
 * computed delay.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (settings: Settings = {}): RetryPolicy =>
  Schedule.identity<NexosError.NexosError>().pipe(
    Schedule.intersect(Schedule.recurs(settings.maxRetries ?? 2)),
    Schedule.addDelayEffect(([error, retry]) =>
      Effect.map(Random.next, (random) => delayFor(retry, error, random, settings)).pipe(
        Effect.tap((delay) =>
          Effect.logDebug("nexos: retrying").pipe(
            Effect.annotateLogs({
              retry: retry + 1,
              waitMs: Math.round(Duration.toMillis(delay)),
              error: error._tag,
              ...("status" in error && error.status !== undefined ? { status: error.status } : {})
            })
          )
        )
      )
    )
  )

/**
 * The default policy: 2 retries, backoff 0.5 s to 8 s with 25% jitter, server retry-after honoured.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultPolicy: RetryPolicy = make()

/**
 * A policy that never retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: RetryPolicy = Schedule.recurs(0)
