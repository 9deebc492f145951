/**
 * Endpoint groups whose module is loaded on first use: a program that only streams a chat never loads the files,
 * batches or audio modules and their schemas. The group's methods exist at once; each call loads the module (once
 * per process, then synchronously), builds the group (once per client) and runs the real method.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** How each member of a service is called: an effect, a stream, a nested group, or a function giving a group. */
export type Shape<S> = {
  readonly [K in keyof S]: S[K] extends (...args: ReadonlyArray<any>) => Effect.Effect<any, any, any> ? "effect"
    : S[K] extends (...args: ReadonlyArray<any>) => Stream.Stream<any, any, any> ? "stream"
    : S[K] extends (...args: ReadonlyArray<any>) => infer G ? readonly ["group", Shape<G>]
    : Shape<S[K]>
}

/** A module loaded by `import()` once; `Effect.succeed` of it once it has loaded. */
export const module = <M>(load: () => Promise<M>): Effect.Effect<M> => {
  let loaded: M | undefined
  let pending: Promise<M> | undefined
  const get = Effect.promise(() =>
    pending ??= load().then((value) => loaded = value, (error) => {
      pending = undefined
      throw error
    })
  )
  return Effect.suspend(() => loaded === undefined ? get : Effect.succeed(loaded))
}

/** A service of the given shape whose members are built, on their first call, from `build` of the loaded module. */
export const service = <M, S>(load: Effect.Effect<M>, build: (module: M) => S, shape: Shape<S>): S => {
  let built: S | undefined
  return fromShape(
    Effect.suspend(() =>
      built === undefined ? Effect.map(load, (module) => built ??= build(module)) : Effect.succeed(built)
    ),
    shape as Shape<unknown>
  ) as S
}

type Member = (...args: ReadonlyArray<unknown>) => unknown
type Kind = "effect" | "stream" | readonly ["group", Shape<unknown>] | Shape<unknown>

const fromShape = (get: Effect.Effect<unknown>, shape: Shape<unknown>): unknown => {
  const out: Record<string, unknown> = {}
  for (const [key, kind] of Object.entries(shape as Record<string, Kind>)) {
    const member = (value: unknown) => (value as Record<string, unknown>)[key]
    if (kind === "effect") {
      out[key] = (...args: ReadonlyArray<unknown>) =>
        Effect.flatMap(get, (value) => (member(value) as Member)(...args) as Effect.Effect<unknown, unknown, unknown>)
    } else if (kind === "stream") {
      out[key] = (...args: ReadonlyArray<unknown>) =>
        Stream.unwrap(
          Effect.map(get, (value) => (member(value) as Member)(...args) as Stream.Stream<unknown, unknown, unknown>)
        )
    } else if (Array.isArray(kind)) {
      out[key] = (...args: ReadonlyArray<unknown>) =>
        fromShape(Effect.map(get, (value) => (member(value) as Member)(...args)), kind[1] as Shape<unknown>)
    } else {
      out[key] = fromShape(Effect.map(get, member), kind as Shape<unknown>)
    }
  }
  return out
}
