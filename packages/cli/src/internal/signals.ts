import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"

let graceful = 0
let stopRequested = false
const stop = Deferred.unsafeMake<void>(FiberId.none)

/** On Ctrl-C: the first one asks a running graceful section to stop; any other interrupts the program. */
export const onInterruptSignal = (interruptProgram: () => void): void => {
  if (graceful > 0 && !stopRequested) {
    stopRequested = true
    Deferred.unsafeDone(stop, Exit.void)
  } else {
    interruptProgram()
  }
}

/** Within the scope, the first Ctrl-C completes the returned effect instead of interrupting the program. */
export const gracefulStop: Effect.Effect<Effect.Effect<void>, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => {
    graceful++
  }),
  () =>
    Effect.sync(() => {
      graceful--
    })
).pipe(Effect.as(Deferred.await(stop)))

export const stopWasRequested = (): boolean => stopRequested
