import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

interface Waiter<A> {
  readonly count: number
  readonly deferred: Deferred.Deferred<ReadonlyArray<A>>
}

/** An append-only log that fibers can wait on ("until it holds N items"), fed from plain callbacks. */
export class WaitList<A> {
  private items: Array<A> = []
  private offset = 0
  private waiters: Array<Waiter<A>> = []

  constructor(private readonly capacity: number) {}

  get total(): number {
    return this.offset + this.items.length
  }

  push(item: A): void {
    this.items.push(item)
    if (this.items.length > this.capacity) {
      const drop = this.items.length - this.capacity
      this.items.splice(0, drop)
      this.offset += drop
    }
    if (this.waiters.length === 0) return
    const total = this.total
    this.waiters = this.waiters.filter((w) => {
      if (total < w.count) return true
      Deferred.unsafeDone(w.deferred, Exit.succeed(this.items.slice()))
      return false
    })
  }

  readonly all: Effect.Effect<ReadonlyArray<A>> = Effect.sync(() => this.items.slice())

  awaitCount(count: number): Effect.Effect<ReadonlyArray<A>> {
    return Effect.suspend(() => {
      if (this.total >= count) return Effect.succeed(this.items.slice())
      const deferred = Deferred.unsafeMake<ReadonlyArray<A>>(FiberId.none)
      const waiter = { count, deferred }
      this.waiters.push(waiter)
      return Effect.ensuring(
        Deferred.await(deferred),
        Effect.sync(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter)
        })
      )
    })
  }

  clear(): void {
    this.offset = 0
    this.items = []
  }
}
