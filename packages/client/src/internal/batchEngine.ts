import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as Batch from "../Batch.js"
import * as NexosClient from "../NexosClient.js"
import type * as NexosError from "../NexosError.js"
import * as ResponseMeta from "../ResponseMeta.js"
import * as RetryPolicy from "../RetryPolicy.js"
import { Limiter, type Ticket } from "./batchLimiter.js"
import { retryCountHeader } from "./transport.js"

/** An item with its input position; `rejected` items fail without a request (a malformed input line). */
export interface Entry {
  readonly key: string
  readonly index: number
  readonly request: Batch.Request | undefined
  readonly options: NexosClient.RequestOptions | undefined
  readonly rejected?: NexosError.NexosError | undefined
  /** A result known before running (a key its store already has): passed through as it is. */
  readonly ready?: Batch.Result<unknown> | undefined
}

export interface Hooks {
  readonly store: Option.Option<Batch.StoreService>
  readonly duplicate: (key: string, index: number) => Batch.BatchError
}

type AnyResult = Batch.Result<unknown>

export const entries = <E, R>(items: Stream.Stream<Batch.Item<any>, E, R>): Stream.Stream<Entry, E, R> =>
  Stream.suspend(() => {
    let index = 0
    return Stream.map(items, (item): Entry => ({
      key: item.key,
      index: index++,
      request: item.request,
      options: item.options
    }))
  })

export const toRecorded = (result: AnyResult): Batch.Recorded | undefined => {
  const outcome = result.outcome
  switch (outcome._tag) {
    case "Succeeded":
      return { key: result.key, status: "succeeded", retryable: false }
    case "Failed":
      return { key: result.key, status: "failed", retryable: outcome.error.isRetryable, error: outcome.error._tag }
    default:
      return undefined
  }
}

const textLength = (content: unknown): number => {
  if (typeof content === "string") return content.length
  if (Array.isArray(content)) {
    let n = 0
    for (const part of content) {
      if (typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string") {
        n += (part as { text: string }).text.length
      }
    }
    return n
  }
  return 0
}

export const isChat = (request: Batch.Request): request is Extract<Batch.Request, { messages: unknown }> =>
  "messages" in request

export const estimateTokens = (request: Batch.Request): number => {
  if (isChat(request)) {
    let chars = 0
    for (const message of request.messages) chars += textLength((message as { content?: unknown }).content)
    const limit = request.max_completion_tokens ?? request.max_tokens ?? 0
    return Math.ceil(chars / 4) + 4 * request.messages.length + limit
  }
  const input = request.input
  if (typeof input === "string") return Math.max(1, Math.ceil(input.length / 4))
  let tokens = 0
  for (const item of input) {
    tokens += typeof item === "string"
      ? Math.max(1, Math.ceil(item.length / 4))
      : typeof item === "number"
      ? 1
      : item.length
  }
  return tokens
}

interface UsageLike {
  readonly prompt_tokens?: number
  readonly completion_tokens?: number
  readonly total_tokens?: number
  readonly nexos_credits_cost?: number
}

const usageOf = (value: unknown): UsageLike | undefined => (value as { usage?: UsageLike } | null)?.usage ?? undefined

const headersOf = (error: NexosError.NexosError): Readonly<Record<string, string>> =>
  "headers" in error && error.headers !== undefined ? error.headers : {}

/** The mutable state of one run: counters for progress and the budget, keys seen, the stop flag. */
class RunState {
  total: number | undefined
  entered = 0
  succeeded = 0
  failed = 0
  skipped = 0
  notDone = 0
  inFlight = 0
  retried = 0
  promptTokens = 0
  completionTokens = 0
  credits = 0
  stopped = false
  readonly seen = new Set<string>()
  readonly finishTimes: Array<number> = []
  finishHead = 0
  startedAt = 0
  lastPublish = Number.NEGATIVE_INFINITY

  constructor(readonly options: Batch.Options) {
    this.total = options.total
  }

  budgetSpent(): boolean {
    const budget = this.options.budget
    if (budget === undefined) return false
    return (budget.credits !== undefined && this.credits >= budget.credits) ||
      (budget.tokens !== undefined && this.promptTokens + this.completionTokens >= budget.tokens)
  }

  count(result: AnyResult, now: number): void {
    switch (result.outcome._tag) {
      case "Succeeded":
        this.succeeded++
        break
      case "Failed":
        this.failed++
        break
      case "Skipped":
        this.skipped++
        return
      case "NotDone":
        this.notDone++
        return
    }
    this.finishTimes.push(now)
    if (this.finishTimes.length - this.finishHead > 256) this.finishHead++
    if (this.finishHead > 4096) {
      this.finishTimes.splice(0, this.finishHead)
      this.finishHead = 0
    }
  }

  snapshot(now: number, finished: boolean): Batch.Progress {
    const done = this.succeeded + this.failed + this.skipped
    const first = this.finishTimes[this.finishHead]
    const n = this.finishTimes.length - this.finishHead
    const span = first === undefined ? 0 : now - first
    const rate = n > 1 && span > 0 ? ((n - 1) * 1000) / span : 0
    const left = this.total === undefined ? undefined : this.total - done - this.notDone
    return {
      total: this.total,
      done,
      succeeded: this.succeeded,
      failed: this.failed,
      skipped: this.skipped,
      notDone: this.notDone,
      inFlight: this.inFlight,
      retried: this.retried,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      credits: this.credits,
      rate,
      eta: left === undefined
        ? undefined
        : left <= 0
        ? Duration.zero
        : rate > 0
        ? Duration.millis(Math.round((left / rate) * 1000))
        : undefined,
      elapsed: Duration.millis(Math.max(0, now - this.startedAt)),
      finished
    }
  }
}

const mergeRequestOptions = (
  base: NexosClient.RequestOptions | undefined,
  over: NexosClient.RequestOptions | undefined,
  attempt: number
): NexosClient.RequestOptions => {
  const headers = base?.headers !== undefined || over?.headers !== undefined || attempt > 1
    ? {
      ...base?.headers,
      ...over?.headers,
      ...(attempt > 1 ? { [retryCountHeader]: String(attempt - 1) } : {})
    }
    : undefined
  return {
    ...base,
    ...over,
    ...(headers === undefined ? {} : { headers }),
    retry: RetryPolicy.none
  }
}

/** A parked fiber waiting for a signal; `pending` keeps a signal sent before it parked. */
class Signal {
  private resume: (() => void) | undefined
  private pending = false

  notify(): void {
    if (this.resume !== undefined) {
      const resume = this.resume
      this.resume = undefined
      resume()
    } else {
      this.pending = true
    }
  }

  readonly wait: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.pending) {
      this.pending = false
      resume(Effect.void)
      return
    }
    this.resume = () => resume(Effect.void)
    return Effect.sync(() => {
      this.resume = undefined
    })
  })
}

/**
 * The hand-off from the feeder (one fiber reading the input) to the workers: a bounded array. Jobs are only removed
 * synchronously by the fiber that runs them (never handed to a parked fiber), so an interrupted worker cannot lose one.
 */
class Inbox<A> {
  private items: Array<A> = []
  private head = 0
  closed = false
  private readonly idle = new Set<Signal>()
  readonly space = new Signal()

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head
  }

  push(item: A): void {
    this.items.push(item)
    for (const signal of this.idle) {
      this.idle.delete(signal)
      signal.notify()
      break
    }
  }

  poll(): A | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]!
    this.items[this.head++] = undefined as A
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    this.space.notify()
    return item
  }

  drain(): Array<A> {
    const out = this.items.slice(this.head)
    this.items = []
    this.head = 0
    this.space.notify()
    return out
  }

  close(): void {
    this.closed = true
    for (const signal of this.idle) signal.notify()
    this.idle.clear()
  }

  waitItem(signal: Signal): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.size > 0 || this.closed) return Effect.void
      this.idle.add(signal)
      return Effect.ensuring(signal.wait, Effect.sync(() => this.idle.delete(signal)))
    })
  }
}

/**
 * The results on their way to the consumer: many producers (workers, the feeder), one consumer that takes everything
 * there is at once. Producers wait while it is full (backpressure); once the consumer is gone (`shutdown`) offers are
 * dropped, so a producer in an uninterruptible region never waits forever.
 */
class Outbox<A> {
  private items: Array<A> = []
  private readonly consumer = new Signal()
  private readonly producers = new Set<Signal>()
  private closed = false

  constructor(readonly capacity: number) {}

  offer(item: A, force = false): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.void
      if (force || this.items.length < this.capacity) {
        this.items.push(item)
        this.consumer.notify()
        return Effect.void
      }
      const signal = new Signal()
      this.producers.add(signal)
      return Effect.zipRight(
        Effect.ensuring(signal.wait, Effect.sync(() => this.producers.delete(signal))),
        this.offer(item, force)
      )
    })
  }

  readonly takeAll: Effect.Effect<Array<A>> = Effect.suspend(() => {
    if (this.items.length === 0) return Effect.zipRight(this.consumer.wait, this.takeAll)
    const out = this.items
    this.items = []
    for (const signal of this.producers) signal.notify()
    this.producers.clear()
    return Effect.succeed(out)
  })

  shutdown(): void {
    this.closed = true
    this.items = []
    for (const signal of this.producers) signal.notify()
    this.producers.clear()
  }
}

type Job = Entry | AnyResult

interface Tally {
  attempts: number
  ticket: Ticket | undefined
}

const isResult = (job: Job): job is AnyResult => "outcome" in job

interface Slot {
  readonly seq: number
  readonly result: AnyResult
}

type Out = Slot | { readonly _tag: "End" } | { readonly _tag: "Fail"; readonly cause: Cause.Cause<unknown> }

const end: Out = { _tag: "End" }

export const run = (
  input: Stream.Stream<Entry, any, any>,
  options: Batch.Options,
  hooks: Hooks
): Stream.Stream<AnyResult, any, any> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 16))
    const ordered = options.ordered === true
    const orderWindow = Math.max(concurrency, Math.floor(options.orderWindow ?? concurrency * 8))
    const retry = options.retry ?? {}
    const maxRetries = retry.maxRetries ?? 5
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const window = Duration.toMillis(Duration.decode(options.rateLimit?.window ?? "1 minute"))
    const limiter = new Limiter({
      maxInFlight: concurrency,
      requests: options.rateLimit?.requestsPerMinute,
      tokens: options.rateLimit?.tokensPerMinute,
      windowMs: window,
      adaptive: options.adaptive ?? true
    }, now)
    const countTokens = options.rateLimit?.tokensPerMinute !== undefined
    const state = new RunState(options)
    state.startedAt = now()
    const progress = options.progress
    const interval = Duration.toMillis(Duration.decode(options.progressInterval ?? "100 millis"))
    const duplicates = options.duplicates ?? "fail"
    const store = hooks.store
    const inbox = new Inbox<{ readonly seq: number; readonly job: Job }>(concurrency)
    const outbox = new Outbox<Out>(Math.max(64, concurrency * 2))
    const gate = new Signal()
    let emitted = 0
    let feederDone = false
    let alive = concurrency

    const publish = (now: number, finished: boolean): Effect.Effect<void> => {
      if (progress === undefined) return Effect.void
      if (!finished && now - state.lastPublish < interval) return Effect.void
      state.lastPublish = now
      return SubscriptionRef.set(progress, state.snapshot(now, finished))
    }

    const deliver = (seq: number, result: AnyResult): Effect.Effect<void, Batch.StoreError> =>
      Effect.suspend(() => {
        const at = now()
        state.count(result, at)
        const offer = outbox.offer({ seq, result })
        const offered = progress === undefined ? offer : Effect.zipRight(publish(at, false), offer)
        if (Option.isSome(store) && (result.outcome._tag === "Succeeded" || result.outcome._tag === "Failed")) {
          return Effect.zipRight(store.value.record([result]), offered)
        }
        return offered
      })

    const firstAttempt = mergeRequestOptions(options.requestOptions, undefined, 1)

    const notDone = (job: Job, reason: "interrupted" | "budget", attempts = 0): AnyResult =>
      isResult(job) ? job : {
        key: job.key,
        index: job.index,
        outcome: { _tag: "NotDone", reason },
        attempts
      }

    const send = (entry: Entry, attempt: number): Effect.Effect<unknown, NexosError.NexosError> => {
      const request = entry.request!
      const requestOptions = attempt === 1 && entry.options === undefined
        ? firstAttempt
        : mergeRequestOptions(options.requestOptions, entry.options, attempt)
      return isChat(request)
        ? client.chat.completions.create(request, requestOptions)
        : client.embeddings.create(request, requestOptions)
    }

    const attempts = (entry: Entry, tally: Tally): Effect.Effect<Batch.Outcome<unknown>> => {
      const estimate = countTokens ? estimateTokens(entry.request!) : 0
      const succeeded = (value: unknown) => {
        const usage = usageOf(value)
        limiter.release(tally.ticket!, usage?.total_tokens ?? usage?.prompt_tokens)
        tally.ticket = undefined
        const meta = typeof value === "object" && value !== null ? ResponseMeta.get(value) : Option.none()
        if (Option.isSome(meta)) limiter.observe(now, meta.value.rateLimit)
        limiter.succeeded()
        if (usage !== undefined) {
          state.promptTokens += usage.prompt_tokens ?? 0
          state.completionTokens += usage.completion_tokens ?? 0
          state.credits += usage.nexos_credits_cost ?? 0
        }
        return Effect.succeed<Batch.Outcome<unknown>>({ _tag: "Succeeded", value, meta: Option.getOrUndefined(meta) })
      }
      const failed = (error: NexosError.NexosError) => {
        const at = now()
        limiter.release(tally.ticket!, undefined)
        tally.ticket = undefined
        limiter.observe(now, headersOf(error))
        const retryable = error.isRetryable && tally.attempts <= maxRetries
        const final = Effect.succeed<Batch.Outcome<unknown>>({ _tag: "Failed", error })
        if (error._tag === "RateLimited") {
          return Effect.flatMap(Random.next, (random) => {
            limiter.rateLimited(at, Duration.toMillis(RetryPolicy.delayFor(tally.attempts - 1, error, random, retry)))
            return retryable ? loop : final
          })
        }
        if (!retryable) return final
        return Effect.flatMap(Random.next, (random) =>
          Effect.zipRight(
            Effect.sleep(RetryPolicy.delayFor(tally.attempts - 1, error, random, retry)),
            loop
          ))
      }
      const loop: Effect.Effect<Batch.Outcome<unknown>> = Effect.flatMap(limiter.acquire(estimate), (ticket) => {
        tally.attempts++
        if (tally.attempts > 1) state.retried++
        tally.ticket = ticket
        return Effect.matchEffect(send(entry, tally.attempts), { onFailure: failed, onSuccess: succeeded })
      })
      return loop
    }

    /** Runs one job; called in an uninterruptible region, `restore` makes only the requests interruptible. */
    const process = (
      seq: number,
      job: Job,
      restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
    ): Effect.Effect<void, Batch.StoreError> => {
      if (isResult(job)) return deliver(seq, job)
      if (job.rejected !== undefined) {
        return deliver(seq, {
          key: job.key,
          index: job.index,
          outcome: { _tag: "Failed", error: job.rejected },
          attempts: 0
        })
      }
      if (state.stopped) return deliver(seq, notDone(job, "interrupted"))
      if (state.budgetSpent()) return deliver(seq, notDone(job, "budget"))
      const startedAt = now()
      const tally: Tally = { attempts: 0, ticket: undefined }
      state.inFlight++
      return Effect.flatMap(Effect.exit(restore(attempts(job, tally))), (exit) => {
        state.inFlight--
        if (tally.ticket !== undefined) limiter.release(tally.ticket, undefined)
        if (exit._tag === "Failure") return deliver(seq, notDone(job, "interrupted", tally.attempts))
        return deliver(seq, {
          key: job.key,
          index: job.index,
          outcome: exit.value,
          attempts: tally.attempts,
          ...(tally.attempts > 0 ? { startedAt, finishedAt: now() } : {})
        })
      })
    }

    const finishIfDone = Effect.suspend(() => feederDone && alive === 0 ? outbox.offer(end, true) : Effect.void)

    const worker = Effect.suspend(() => {
      const signal = new Signal()
      const step: Effect.Effect<boolean, Batch.StoreError> = Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const next = inbox.poll()
          if (next !== undefined) return Effect.as(process(next.seq, next.job, restore), true)
          if (inbox.closed) return Effect.succeed(false)
          return Effect.as(restore(inbox.waitItem(signal)), true)
        })
      )
      const loop: Effect.Effect<void, Batch.StoreError> = Effect.flatMap(step, (more) => more ? loop : Effect.void)
      return loop.pipe(
        Effect.catchAllCause((cause) => outbox.offer({ _tag: "Fail", cause }, true)),
        Effect.ensuring(Effect.suspend(() => {
          alive--
          return finishIfDone
        }))
      )
    })

    const admit = (chunk: Chunk.Chunk<Entry>): Effect.Effect<Chunk.Chunk<Job>, Batch.BatchError> => {
      const jobs: Array<Job> = []
      const keys: Array<string> = []
      for (const entry of chunk) {
        if (entry.ready !== undefined) {
          jobs.push(entry.ready)
          state.entered++
          continue
        }
        if (state.seen.has(entry.key)) {
          if (duplicates === "fail") return Effect.fail(hooks.duplicate(entry.key, entry.index))
          continue
        }
        state.seen.add(entry.key)
        state.entered++
        jobs.push(entry)
        keys.push(entry.key)
      }
      if (Option.isNone(store) || keys.length === 0) return Effect.succeed(Chunk.unsafeFromArray(jobs))
      return Effect.map(store.value.lookup(keys), (recorded) => {
        if (recorded.size === 0) return Chunk.unsafeFromArray(jobs)
        return Chunk.unsafeFromArray(jobs.map((job): Job => {
          if (isResult(job)) return job
          const found = recorded.get(job.key)
          if (found === undefined) return job
          if (found.status === "failed" && found.retryable && options.retryFailed === true) return job
          return { key: job.key, index: job.index, outcome: { _tag: "Skipped", recorded: found }, attempts: 0 }
        }))
      })
    }

    let seq = 0
    const feed = (job: Job): Effect.Effect<void, Batch.StoreError> =>
      Effect.suspend(() => {
        if (state.stopped) return deliver(seq++, notDone(job, "interrupted"))
        if (ordered && seq - emitted >= orderWindow) return Effect.zipRight(gate.wait, feed(job))
        if (inbox.size >= inbox.capacity) return Effect.zipRight(inbox.space.wait, feed(job))
        inbox.push({ seq: seq++, job })
        return Effect.void
      })

    const feeder = input.pipe(
      Stream.mapChunksEffect(admit),
      Stream.runForEach(feed),
      Effect.zipRight(Effect.sync(() => {
        if (state.total === undefined) state.total = state.entered
      })),
      Effect.catchAllCause((cause) => outbox.offer({ _tag: "Fail", cause }, true)),
      Effect.zipRight(Effect.suspend(() => {
        feederDone = true
        inbox.close()
        return finishIfDone
      }))
    )

    const workers = yield* Effect.forEach(
      Array.from({ length: concurrency }),
      () => Effect.forkScoped(worker)
    )
    yield* Effect.forkScoped(feeder)
    if (options.stopWhen !== undefined) {
      yield* Effect.forkScoped(Effect.zipRight(
        options.stopWhen,
        Effect.suspend(() => {
          state.stopped = true
          alive++
          const waiting = inbox.drain()
          return Effect.zipRight(
            Fiber.interruptAll(workers),
            Effect.forEach(waiting, (slot) => deliver(slot.seq, notDone(slot.job, "interrupted")), {
              discard: true
            })
          ).pipe(
            Effect.catchAllCause((cause) => outbox.offer({ _tag: "Fail", cause }, true)),
            Effect.ensuring(Effect.suspend(() => {
              alive--
              return finishIfDone
            }))
          )
        })
      ))
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => outbox.shutdown()))

    let ended = false
    const pending = new Map<number, AnyResult>()
    const take: Effect.Effect<Chunk.Chunk<AnyResult>, Option.Option<unknown>> = Effect.suspend(() => {
      if (ended) return Effect.fail(Option.none())
      return Effect.flatMap(outbox.takeAll, (outs) => {
        const results: Array<AnyResult> = []
        for (const out of outs) {
          if ("seq" in out) {
            if (!ordered) {
              results.push(out.result)
              continue
            }
            pending.set(out.seq, out.result)
            let next = pending.get(emitted)
            while (next !== undefined) {
              pending.delete(emitted)
              results.push(next)
              emitted++
              next = pending.get(emitted)
            }
          } else if (out._tag === "End") {
            ended = true
            break
          } else {
            return Effect.failCause(Cause.map(out.cause, Option.some))
          }
        }
        if (ordered) gate.notify()
        if (results.length === 0) return ended ? Effect.fail(Option.none()) : take
        return Effect.succeed(Chunk.unsafeFromArray(results))
      })
    })
    return Stream.ensuring(
      Stream.repeatEffectChunkOption(take),
      Effect.suspend(() => publish(now(), true))
    )
  }))
