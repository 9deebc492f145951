import * as Effect from "effect/Effect"

export interface LimiterOptions {
  readonly maxInFlight: number
  readonly requests?: number | undefined
  readonly tokens?: number | undefined
  readonly windowMs: number
  readonly adaptive: boolean
}

/** One admitted request: its place in the token window, corrected when the real usage is known. */
export interface Ticket {
  tokens: number
  inWindow: boolean
}

interface Waiter {
  readonly tokens: number
  resume: (() => void) | undefined
  pending: boolean
  gone: boolean
}

const resetPattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g

/** Parses an `x-ratelimit-reset-*` value: a Go-style duration (`1s`, `6m0s`, `20ms`), seconds, or an epoch. */
export const parseReset = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const text = value.trim()
  if (text === "") return undefined
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text)
    if (n > 1e12) return Math.max(0, n - now)
    if (n > 1e9) return Math.max(0, n * 1000 - now)
    return n * 1000
  }
  let total = 0
  let matched = 0
  for (const m of text.matchAll(resetPattern)) {
    matched += m[0].length
    const n = Number(m[1])
    total += m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n * 3_600_000
  }
  if (matched === text.length) return total
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Admission control shared by every request of one batch: requests and tokens per window (sliding logs, so no window
 * of `windowMs` ever holds more than the limits), a pause that every request honours after a 429 or exhausted
 * `x-ratelimit-*` headers, and an adaptive cap on requests in flight (halved once per 429 storm, +1 per success).
 * Waiters queue FIFO; only the head of the queue watches the clock, the others sleep until it is their turn, so each
 * event wakes one fiber.
 */
export class Limiter {
  inFlight = 0
  limit: number
  pausedUntil = 0
  private readonly starts: Array<number> = []
  private startsHead = 0
  private readonly spent: Array<{ readonly at: number; readonly ticket: Ticket }> = []
  private spentHead = 0
  private tokenSum = 0
  private readonly queue: Array<Waiter> = []
  private queueHead = 0

  private readonly unpaced: boolean

  constructor(readonly options: LimiterOptions, readonly now: () => number) {
    this.limit = options.maxInFlight
    this.unpaced = options.requests === undefined && options.tokens === undefined
  }

  private prune(now: number): void {
    const from = now - this.options.windowMs
    while (this.startsHead < this.starts.length && this.starts[this.startsHead]! <= from) this.startsHead++
    if (this.startsHead > 1024 && this.startsHead * 2 > this.starts.length) {
      this.starts.splice(0, this.startsHead)
      this.startsHead = 0
    }
    while (this.spentHead < this.spent.length && this.spent[this.spentHead]!.at <= from) {
      const entry = this.spent[this.spentHead++]!
      entry.ticket.inWindow = false
      this.tokenSum -= entry.ticket.tokens
    }
    if (this.spentHead > 1024 && this.spentHead * 2 > this.spent.length) {
      this.spent.splice(0, this.spentHead)
      this.spentHead = 0
    }
  }

  /** 0: admit now; -1: wait for a request to finish; > 0: wait that many milliseconds. */
  private check(now: number, tokens: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now
    if (this.inFlight >= this.limit) return -1
    this.prune(now)
    const window = this.options.windowMs
    const maxRequests = this.options.requests
    if (maxRequests !== undefined && this.starts.length - this.startsHead >= maxRequests) {
      return Math.max(1, this.starts[this.starts.length - maxRequests]! + window - now)
    }
    const maxTokens = this.options.tokens
    if (maxTokens !== undefined && this.tokenSum > 0 && this.tokenSum + tokens > maxTokens) {
      let sum = this.tokenSum
      for (let i = this.spentHead; i < this.spent.length; i++) {
        sum -= this.spent[i]!.ticket.tokens
        if (sum + tokens <= maxTokens || sum <= 0) return Math.max(1, this.spent[i]!.at + window - now)
      }
      return window
    }
    return 0
  }

  private take(now: number, tokens: number): Ticket {
    this.inFlight++
    const ticket: Ticket = { tokens, inWindow: false }
    if (this.options.requests !== undefined) this.starts.push(now)
    if (this.options.tokens !== undefined) {
      ticket.inWindow = true
      this.spent.push({ at: now, ticket })
      this.tokenSum += tokens
    }
    return ticket
  }

  private head(): Waiter | undefined {
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.gone) this.queueHead++
    if (this.queueHead > 256 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead)
      this.queueHead = 0
    }
    return this.queue[this.queueHead]
  }

  private wakeHead(): void {
    const waiter = this.head()
    if (waiter === undefined) return
    if (waiter.resume !== undefined) waiter.resume()
    else waiter.pending = true
  }

  private signal(waiter: Waiter): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (waiter.pending) {
        waiter.pending = false
        resume(Effect.void)
        return
      }
      waiter.resume = () => {
        waiter.resume = undefined
        resume(Effect.void)
      }
      return Effect.sync(() => {
        waiter.resume = undefined
      })
    })
  }

  private turn(waiter: Waiter): Effect.Effect<Ticket> {
    return Effect.suspend(() => {
      if (this.head() !== waiter) return Effect.zipRight(this.signal(waiter), this.turn(waiter))
      const now = this.now()
      const wait = this.check(now, waiter.tokens)
      if (wait === 0) {
        waiter.gone = true
        const ticket = this.take(now, waiter.tokens)
        this.wakeHead()
        return Effect.succeed(ticket)
      }
      return Effect.zipRight(wait < 0 ? this.signal(waiter) : Effect.sleep(wait), this.turn(waiter))
    })
  }

  /** Waits until a request estimated at `tokens` may start; the ticket must be given back with `release`. */
  acquire(tokens: number): Effect.Effect<Ticket> {
    return Effect.suspend(() => {
      if (this.unpaced && this.pausedUntil === 0 && this.inFlight < this.limit && this.head() === undefined) {
        this.inFlight++
        return Effect.succeed<Ticket>({ tokens, inWindow: false })
      }
      const now = this.now()
      if (this.head() === undefined && this.check(now, tokens) === 0) return Effect.succeed(this.take(now, tokens))
      const waiter: Waiter = { tokens, resume: undefined, pending: false, gone: false }
      this.queue.push(waiter)
      return Effect.onInterrupt(this.turn(waiter), () =>
        Effect.sync(() => {
          if (!waiter.gone) {
            waiter.gone = true
            this.wakeHead()
          }
        }))
    })
  }

  /** A request finished; `tokens`, when known, replaces the estimate in the token window. */
  release(ticket: Ticket, tokens: number | undefined): void {
    this.inFlight--
    if (tokens !== undefined && ticket.inWindow) {
      this.tokenSum += tokens - ticket.tokens
      ticket.tokens = tokens
    }
    this.wakeHead()
  }

  /** A success: the adaptive cap grows back by one. */
  succeeded(): void {
    if (this.options.adaptive && this.limit < this.options.maxInFlight) {
      this.limit++
      this.wakeHead()
    }
  }

  /** A 429: every request waits `delayMs`; the cap on requests in flight is halved once per storm. */
  rateLimited(now: number, delayMs: number): void {
    if (this.options.adaptive && now >= this.pausedUntil) this.limit = Math.max(1, Math.floor(this.limit / 2))
    this.pausedUntil = Math.max(this.pausedUntil, now + delayMs)
  }

  /** Reads `x-ratelimit-remaining-*` / `x-ratelimit-reset-*`: an exhausted budget pauses everyone until its reset. */
  observe(now: () => number, headers: Readonly<Record<string, string>>): void {
    for (const kind of ["requests", "tokens"]) {
      const remaining = headers[`x-ratelimit-remaining-${kind}`] ?? headers[`x-rate-limit-remaining-${kind}`]
      if (remaining === undefined || Number(remaining) > 0) continue
      const at = now()
      const reset = parseReset(headers[`x-ratelimit-reset-${kind}`] ?? headers[`x-rate-limit-reset-${kind}`], at)
      if (reset !== undefined && reset > 0) this.pausedUntil = Math.max(this.pausedUntil, at + Math.min(reset, 60_000))
    }
  }
}
