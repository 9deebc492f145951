import { assert, describe, expectTypeOf, it } from "@effect/vitest"
import type * as ChatEvent from "@nexos-effect/client/ChatEvent"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as NexosError from "@nexos-effect/client/NexosError"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as Usage from "@nexos-effect/schema/Usage"
import { Chunk, Context, Effect, Option, Stream } from "effect"

// The `expectTypeOf` assertions are checked by `tsc` (`pnpm check` type-checks the test files): a combinator that
// loses the error or requirement type in any of its forms fails the build. Each test also runs every form and checks
// that they compute the same values.

class Db extends Context.Tag("Db")<Db, { readonly name: string }>() {}
class Oops {
  readonly _tag = "Oops"
}

const encoder = new TextEncoder()
const frame = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: "c1", model: "m", created: 1, choices: [{ index: 0, delta }], ...extra })}\n\n`
const sse = [
  frame({ content: "Hel" }),
  frame({ content: "lo", reasoning_content: "hm" }),
  frame({ tool_calls: [{ index: 0, id: "t1", function: { name: "f", arguments: "{}" } }] }),
  frame({ annotations: [{ type: "url_citation", url_citation: { url: "https://a.example", title: "A" } }] }),
  frame({}, { usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
  "data: [DONE]\n\n"
]

// Real streams whose declared types carry an error and a requirement (the requirement is really used).
const bytes: Stream.Stream<Uint8Array, Oops, Db> = Stream.fromEffect(Db).pipe(
  Stream.flatMap(() => Stream.fromIterable(sse.map((s) => encoder.encode(s))))
)
const chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, Oops, Db> = ChatStream.decodeSse(bytes).pipe(
  Stream.catchAll(() => Stream.fail(new Oops()))
)
const events: Stream.Stream<ChatEvent.ChatEvent, Oops, Db> = ChatStream.events(chunks)
const pure: Stream.Stream<ChatEvent.ChatEvent> = Stream.provideService(events, Db, { name: "db" }).pipe(Stream.orDie)

const run = <A, E>(stream: Stream.Stream<A, E, Db>) =>
  stream.pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.provideService(Db, { name: "db" }))

const allSame = <A>(results: ReadonlyArray<A>) => {
  for (const r of results) assert.deepStrictEqual(r, results[0])
}

type Chunks<E, R> = Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>

describe("types in a pipe", () => {
  it.effect("decodeSse keeps E and R, adding the SSE errors", () =>
    Effect.gen(function*() {
      type Out = Chunks<Oops | ChatStream.SseError, Db>
      const forms = [
        bytes.pipe(ChatStream.decodeSse),
        bytes.pipe(ChatStream.decodeSse()),
        bytes.pipe(ChatStream.decodeSse({ requireDone: false })),
        ChatStream.decodeSse(bytes),
        ChatStream.decodeSse(bytes, { requestId: "r" })
      ] as const
      expectTypeOf(forms[0]).toEqualTypeOf<Out>()
      expectTypeOf(forms[1]).toEqualTypeOf<Out>()
      expectTypeOf(forms[2]).toEqualTypeOf<Out>()
      expectTypeOf(forms[3]).toEqualTypeOf<Out>()
      expectTypeOf(forms[4]).toEqualTypeOf<Out>()
      const results = yield* Effect.forEach(forms, run)
      assert.strictEqual(results[0].length, 5)
      allSame(results)
    }))

  it.effect("events keeps E and R", () =>
    Effect.gen(function*() {
      type Out = Stream.Stream<ChatEvent.ChatEvent, Oops, Db>
      const forms = [
        chunks.pipe(ChatStream.events),
        chunks.pipe(ChatStream.events()),
        chunks.pipe(ChatStream.events({ headers: { a: "b" } })),
        ChatStream.events(chunks),
        ChatStream.events(chunks, { headers: { a: "b" } })
      ] as const
      expectTypeOf(forms[0]).toEqualTypeOf<Out>()
      expectTypeOf(forms[1]).toEqualTypeOf<Out>()
      expectTypeOf(forms[2]).toEqualTypeOf<Out>()
      expectTypeOf(forms[3]).toEqualTypeOf<Out>()
      expectTypeOf(forms[4]).toEqualTypeOf<Out>()
      const results = yield* Effect.forEach(forms, run)
      allSame([results[0], results[1], results[3]])
      allSame([results[2], results[4]])
      assert.deepStrictEqual((results[2][0] as ChatEvent.Metadata).headers, { a: "b" })
    }))

  it.effect("accumulate keeps E and R", () =>
    Effect.gen(function*() {
      type Out = Effect.Effect<ChatCompletion.ChatCompletion, Oops, Db>
      const piped = chunks.pipe(ChatStream.accumulate)
      const direct = ChatStream.accumulate(chunks)
      expectTypeOf(piped).toEqualTypeOf<Out>()
      expectTypeOf(direct).toEqualTypeOf<Out>()
      const [a, b] = yield* Effect.all([piped, direct]).pipe(Effect.provideService(Db, { name: "db" }))
      assert.deepStrictEqual(a, b)
      assert.strictEqual(a.choices[0].message.content, "Hello")
    }))

  const checkView = (view: typeof ChatStream.text, expected: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      type Out = Stream.Stream<string, Oops, Db>
      const forms = [
        events.pipe(view),
        events.pipe(view()),
        events.pipe(view({ choice: 0 })),
        events.pipe(view({ choice: "all" })),
        view(events),
        view(events, { choice: "all" })
      ] as const
      expectTypeOf(forms[0]).toEqualTypeOf<Out>()
      expectTypeOf(forms[1]).toEqualTypeOf<Out>()
      expectTypeOf(forms[2]).toEqualTypeOf<Out>()
      expectTypeOf(forms[3]).toEqualTypeOf<Out>()
      expectTypeOf(forms[4]).toEqualTypeOf<Out>()
      expectTypeOf(forms[5]).toEqualTypeOf<Out>()
      expectTypeOf(pure.pipe(view)).toEqualTypeOf<Stream.Stream<string>>()
      const results = yield* Effect.forEach(forms, run)
      assert.deepStrictEqual(results[0], expected)
      allSame(results)
      assert.deepStrictEqual(yield* run(events.pipe(view({ choice: 1 }))), [])
    })

  it.effect("eventsWithCompletion keeps E and R", () =>
    Effect.gen(function*() {
      type Out = Stream.Stream<ChatEvent.ChatEvent | ChatStream.Completed, Oops, Db>
      const piped = chunks.pipe(ChatStream.eventsWithCompletion)
      const direct = ChatStream.eventsWithCompletion(chunks)
      expectTypeOf(piped).toEqualTypeOf<Out>()
      expectTypeOf(direct).toEqualTypeOf<Out>()
      const [a, b] = yield* Effect.all([run(piped), run(direct)])
      assert.deepStrictEqual(a, b)
      const last = a[a.length - 1]!
      assert.strictEqual(last._tag === "Completed" && last.completion.choices[0]!.message.content, "Hello")
    }))

  it.effect("text keeps E and R with and without options", () => checkView(ChatStream.text, ["Hel", "lo"]))

  it.effect("reasoning keeps E and R with and without options", () => checkView(ChatStream.reasoning, ["hm"]))

  it.effect("toolCalls, citations and routeThinking keep E and R", () =>
    Effect.gen(function*() {
      const calls = [events.pipe(ChatStream.toolCalls), ChatStream.toolCalls(events)] as const
      expectTypeOf(calls[0]).toEqualTypeOf<Stream.Stream<ChatEvent.ToolCall, Oops, Db>>()
      expectTypeOf(calls[1]).toEqualTypeOf<Stream.Stream<ChatEvent.ToolCall, Oops, Db>>()
      const cites = [events.pipe(ChatStream.citations), ChatStream.citations(events)] as const
      expectTypeOf(cites[0]).toEqualTypeOf<Stream.Stream<ChatEvent.Citation, Oops, Db>>()
      expectTypeOf(cites[1]).toEqualTypeOf<Stream.Stream<ChatEvent.Citation, Oops, Db>>()
      const routed = [events.pipe(ChatStream.routeThinking), ChatStream.routeThinking(events)] as const
      expectTypeOf(routed[0]).toEqualTypeOf<Stream.Stream<ChatEvent.ChatEvent, Oops, Db>>()
      expectTypeOf(routed[1]).toEqualTypeOf<Stream.Stream<ChatEvent.ChatEvent, Oops, Db>>()
      const toolResults = yield* Effect.forEach(calls, run)
      allSame(toolResults)
      assert.deepStrictEqual(toolResults[0].map((c) => [c.id, c.name, c.arguments]), [["t1", "f", "{}"]])
      const citeResults = yield* Effect.forEach(cites, run)
      allSame(citeResults)
      assert.deepStrictEqual(citeResults[0].map((c) => c.url), ["https://a.example"])
      allSame(yield* Effect.forEach(routed, run))
    }))

  it.effect("usage keeps E and R", () =>
    Effect.gen(function*() {
      type Out = Effect.Effect<Option.Option<Usage.Usage>, Oops, Db>
      const piped = events.pipe(ChatStream.usage)
      const direct = ChatStream.usage(events)
      expectTypeOf(piped).toEqualTypeOf<Out>()
      expectTypeOf(direct).toEqualTypeOf<Out>()
      const [a, b] = yield* Effect.all([piped, direct]).pipe(Effect.provideService(Db, { name: "db" }))
      assert.deepStrictEqual(a, b)
      assert.deepStrictEqual(Option.map(a, (u) => u.total_tokens), Option.some(3))
    }))

  it.effect("timeouts keeps the element, E and R, adding Timeout", () =>
    Effect.gen(function*() {
      const numbers: Stream.Stream<number, Oops, Db> = Stream.fromEffect(Db).pipe(Stream.as(7))
      type Out = Stream.Stream<number, Oops | NexosError.Timeout, Db>
      const forms = [
        numbers.pipe(ChatStream.timeouts),
        numbers.pipe(ChatStream.timeouts()),
        numbers.pipe(ChatStream.timeouts({ idle: "1 minute" })),
        ChatStream.timeouts(numbers),
        ChatStream.timeouts(numbers, { firstChunk: "1 minute" })
      ] as const
      expectTypeOf(forms[0]).toEqualTypeOf<Out>()
      expectTypeOf(forms[1]).toEqualTypeOf<Out>()
      expectTypeOf(forms[2]).toEqualTypeOf<Out>()
      expectTypeOf(forms[3]).toEqualTypeOf<Out>()
      expectTypeOf(forms[4]).toEqualTypeOf<Out>()
      const results = yield* Effect.forEach(forms, run)
      assert.deepStrictEqual(results[0], [7])
      allSame(results)
    }))

  it.effect("a whole pipeline from bytes to text, point-free", () =>
    Effect.gen(function*() {
      const pipeline = bytes.pipe(ChatStream.timeouts, ChatStream.decodeSse, ChatStream.events, ChatStream.text)
      expectTypeOf(pipeline).toEqualTypeOf<
        Stream.Stream<string, Oops | NexosError.Timeout | ChatStream.SseError, Db>
      >()
      assert.strictEqual((yield* run(pipeline)).join(""), "Hello")
    }))

  it.effect("withRequestOptions keeps A, E and R", () =>
    Effect.gen(function*() {
      const effect: Effect.Effect<number, Oops, Db> = Effect.map(Db, (db) => db.name.length)
      const piped = effect.pipe(NexosClient.withRequestOptions({ timeout: 5 }))
      const direct = NexosClient.withRequestOptions(effect, { timeout: 5 })
      expectTypeOf(piped).toEqualTypeOf<Effect.Effect<number, Oops, Db>>()
      expectTypeOf(direct).toEqualTypeOf<Effect.Effect<number, Oops, Db>>()
      assert.strictEqual(yield* Effect.provideService(piped, Db, { name: "db" }), 2)
    }))
})
