/**
 * Retry policy as an Effect `Schedule` over `NexosError`s: which failures are retried (`isRetryable`, the one
 * classification shared with users) and how long to wait (`retry-after-ms`, else `Retry-After` within 0..60 s, else
 * exponential backoff from 0.5 s doubling to 8 s with up to 25% jitter). Replace it per client or per request with
 * any `Schedule` you like.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as NexosError from "./NexosError.js"

/**
 * A retry policy: a schedule fed with each failure.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryPolicy = Schedule.Schedule<unknown, NexosError.NexosError>

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
  if ("retryAfterMs" in error && error.retryAfterMs !== undefined) return Duration.millis(error.retryAfterMs)
  const initial = Duration.toMillis(settings.initialDelay ?? "500 millis")
  const max = Duration.toMillis(settings.maxDelay ?? "8 seconds")
  const nominal = Math.min(initial * 2 ** retry, max)
  return Duration.millis(Math.round(nominal * (1 - random * (settings.jitter ?? 0.25))))
}

/**
 * Builds the default policy: retry while `isRetryable`, at most `maxRetries` times, waiting `delayFor`. Each wait is
 * logged at debug level with the error's tag and the computed delay.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (settings: Settings = {}): RetryPolicy =>
  Schedule.identity<NexosError.NexosError>().pipe(
    Schedule.intersect(Schedule.recurs(settings.maxRetries ?? 2)),
    Schedule.whileInput((error: NexosError.NexosError) => error.isRetryable),
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
