import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Readline from "node:readline"

export interface Shown {
  text: string
}

export interface Options<E> {
  readonly prompt: string
  /** One answer; Ctrl-C interrupts it. `shown` holds what was printed so far. */
  readonly answer: (line: string, shown: Shown) => Effect.Effect<void, E>
  readonly after: (exit: Exit.Exit<void, E>, shown: Shown) => Effect.Effect<void>
}

/**
 * A conversation on the terminal: a line, an answer, again, until Ctrl-D or `/exit`. Ctrl-C stops the answer being
 * written (not the session); at the prompt it clears the line.
 */
export const run = <E>(options: Options<E>): Effect.Effect<void> =>
  Effect.acquireUseRelease(
    Effect.gen(function*() {
      const lines = yield* Queue.unbounded<Option.Option<string>>()
      const rl = Readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true })
      rl.setPrompt(options.prompt)
      rl.on("line", (line) => Queue.unsafeOffer(lines, Option.some(line)))
      rl.on("close", () => Queue.unsafeOffer(lines, Option.none()))
      const state: { current: Fiber.RuntimeFiber<void, E> | undefined } = { current: undefined }
      rl.on("SIGINT", () => {
        const fiber = state.current
        if (fiber !== undefined) {
          Effect.runFork(Fiber.interrupt(fiber))
        } else {
          rl.write(null, { ctrl: true, name: "u" })
          process.stdout.write("^C (Ctrl-D or /exit ends the session)\n")
          rl.prompt()
        }
      })
      return { rl, lines, state }
    }),
    ({ lines, rl, state }) =>
      Effect.gen(function*() {
        while (true) {
          rl.prompt()
          const next = yield* Queue.take(lines)
          if (Option.isNone(next)) {
            process.stdout.write("\n")
            return
          }
          const line = next.value.trim()
          if (line === "/exit" || line === "/quit") return
          if (line === "") continue
          const shown: Shown = { text: "" }
          const fiber = yield* Effect.fork(options.answer(line, shown))
          state.current = fiber
          const exit = yield* Fiber.await(fiber)
          state.current = undefined
          yield* options.after(exit, shown)
        }
      }),
    ({ rl }) => Effect.sync(() => rl.close())
  )
