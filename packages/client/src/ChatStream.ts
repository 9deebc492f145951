/**
 * The transport-free streaming core: bytes of a `text/event-stream` response become chat chunks (`decodeSse`),
 * chunks become domain events (`events`) or the final completion (`accumulate`), with convenience views (`text`,
 * `reasoning`, `toolCalls`, `citations`, `usage`), first-chunk and idle timeouts (`timeouts`) and opt-in
 * post-processing as the nexos Python SDK does it (`splitThinking`, `routeThinking`, `extractMarkdownCitations`,
 * `postProcess`). Everything here is synchronous and chunk-wise on the hot path and works on any `Stream`, so it
 * can be tested on recorded bytes with any chunking.
 *
 * @since 0.1.0
 */
import type * as Annotation from "@nexos-effect/schema/Annotation"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as Usage from "@nexos-effect/schema/Usage"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"
import type * as ChatEvent from "./ChatEvent.js"
import { EventState } from "./internal/eventState.js"
import * as SseStream from "./internal/sseStream.js"
import * as Think from "./internal/think.js"
import * as Watchdog from "./internal/watchdog.js"
import * as NexosError from "./NexosError.js"
import * as ResponseMeta from "./ResponseMeta.js"

const isStream = (u: unknown): u is Stream.Stream<unknown, unknown, unknown> =>
  Predicate.hasProperty(u, Stream.StreamTypeId)

/**
 * The second parameter of a combinator that takes its input stream or its options first: the options when the
 * first argument is the stream, nothing otherwise. The combinators with options (`decodeSse`, `events`, `text`,
 * `reasoning`, `timeouts`) have one generic signature instead of two overloads, because TypeScript infers a bare
 * overloaded function in `pipe` from its last overload with the error and requirement types erased to `unknown`:
 * so `stream.pipe(ChatStream.text)`, `stream.pipe(ChatStream.text())`, `stream.pipe(ChatStream.text({ choice: 1 }))`
 * and `ChatStream.text(stream, options)` all keep the stream's error and requirement types.
 *
 * @since 0.1.0
 * @category models
 */
export type OptionsAfter<Self, Options> = [Self] extends [Stream.Stream<any, any, any>] ? Options : never

/**
 * The errors `decodeSse` adds to its input's errors: the stream's own (`DecodeError`, `StreamError`,
 * `StreamTruncated`, `Timeout` when timeouts are set) and, for a JSON body that is an error, the error it describes.
 *
 * @since 0.1.0
 * @category models
 */
export type SseError =
  | NexosError.DecodeError
  | NexosError.StreamError
  | NexosError.StreamTruncated
  | NexosError.ResponseError

/**
 * Options of `decodeSse`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeSseOptions {
  /** Fail with `StreamTruncated` when the input ends without `data: [DONE]` (default true). */
  readonly requireDone?: boolean
  /**
   * The largest single event (its data plus any unterminated line), in characters of decoded text, which is never
   * more than its UTF-8 bytes, and the largest JSON body. Larger ones fail with `DecodeError` instead of growing
   * memory. Default 8 MiB.
   */
  readonly maxEventBytes?: number
  /** Put on every error raised here. */
  readonly requestId?: string
  /** Texts replaced by `[REDACTED]` in every error raised here (the client passes its API key). */
  readonly secrets?: ReadonlyArray<string>
  /** The response headers: a JSON error body is classified with them (`Retry-After`, `x-should-retry`). */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * Time allowed from the start until the first data event (a chunk, `[DONE]` or an error frame; for a JSON body,
   * the whole body). Comments, keep-alives and other non-data lines do not end it. Default: no limit.
   */
  readonly firstChunkTimeout?: Duration.DurationInput
  /**
   * After the first data event, the longest time without any bytes. Any bytes count, keep-alive comments
   * included: they prove the connection lives. Default: no limit.
   */
  readonly idleTimeout?: Duration.DurationInput
}

/**
 * The default of `DecodeSseOptions.maxEventBytes`: 8 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxEventBytes: number = SseStream.defaultMaxEventBytes

const decodeSseImpl = <E, R>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  options?: DecodeSseOptions
): Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E | SseError, R> => SseStream.decode(bytes, options)

/**
 * Decodes the bytes of a chat-completions SSE response into chunks, with a linear parser: `:` comments are
 * ignored, `event:` is honoured, LF / CRLF / CR line ends, multi-line `data` joined with `"\n"`, byte boundaries
 * anywhere (also inside a multi-byte character), and a last event without its blank line is still dispatched.
 *
 * - `data: [DONE]` ends the stream; the rest of the input is not read.
 * - An error frame fails with `StreamError` (message, code, type, param, body): a data payload with a non-null
 *   top-level `error` (or `object` / `type` equal to `"error"`), with or without `event: error`, and any data of an
 *   `event: error` (JSON or text). Other event names are read as chunks.
 * - A payload that is not JSON, or JSON that is not a chunk for the lenient `ChatCompletionChunk` schema, fails
 *   with `DecodeError` (bounded excerpt); so does an event larger than `maxEventBytes`.
 * - The end of the input without `[DONE]` fails with `StreamTruncated` (chunks seen so far), unless
 *   `requireDone: false`; when no data event came and the body starts with text that is no SSE line (an HTML
 *   page, `error code: 1010`), it fails with `DecodeError` quoting that text instead.
 * - A body whose first non-blank character is `{` or `[` is not SSE: it is read whole as JSON (a gateway that
 *   ignored `stream: true`). An error body fails with the error `NexosError.fromResponse` gives for a 200 with that
 *   body and `headers`; a completion becomes the chunks a stream of it would give (per choice the whole message,
 *   then its finish reason; then the usage); a chunk stays a chunk.
 * - `firstChunkTimeout` and `idleTimeout` (off unless set): see `DecodeSseOptions`; they fail with `Timeout`
 *   (`bodyBytes` says how many bytes had arrived) and interrupt the input.
 *
 * Chunks are normalised by a hand-written decoder that returns exactly what the schema decodes (tested for
 * equivalence), because the schema decoder costs more than the rest of the pipeline.
 *
 * Data-first (`decodeSse(bytes, options)`) or pipeable (`bytes.pipe(ChatStream.decodeSse({ requestId }))`,
 * `bytes.pipe(ChatStream.decodeSse())` or a bare `bytes.pipe(ChatStream.decodeSse)`), with the same types in each form
 * (see `OptionsAfter`). The same holds for `events`, `timeouts`, `text` and `reasoning`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeSse: <Self extends Stream.Stream<Uint8Array, any, any> | DecodeSseOptions | undefined = undefined>(
  bytesOrOptions?: Self,
  options?: OptionsAfter<Self, DecodeSseOptions>
) => [Self] extends [Stream.Stream<Uint8Array, infer E, infer R>]
  ? Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E | SseError, R>
  : <E, R>(
    bytes: Stream.Stream<Uint8Array, E, R>
  ) => Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E | SseError, R> = dual(
    (args) => isStream(args[0]),
    decodeSseImpl
  )

/**
 * Options of `events`.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventsOptions {
  /** Response headers to put on the `Metadata` event. */
  readonly headers?: Readonly<Record<string, string>>
}

const eventsImpl = <E, R>(
  chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>,
  options?: EventsOptions
): Stream.Stream<ChatEvent.ChatEvent, E, R> =>
  Stream.suspend(() => {
    const state = new EventState(false, options?.headers)
    return Stream.concat(
      Stream.mapChunks(chunks, (c) => state.feed(c)),
      Stream.suspend(() => Stream.fromChunk(state.end()))
    )
  })

/**
 * Maps chunks to `ChatEvent`s with one stateful, chunk-wise mapping (state per run). When events fire:
 *
 * - `Metadata`: once, before any other event, at the first chunk that has an `id` or `model` or produces an
 *   event (first non-empty values seen up to then); at the end if no chunk did.
 * - `TextDelta` / `ReasoningDelta` / `RefusalDelta`: per non-empty fragment, in that order within one delta.
 *   Content may be a string or parts (`text` parts are text, `thinking` / `reasoning` parts are reasoning);
 *   reasoning comes from `reasoning_content`, else `reasoning`.
 * - `ToolCallStart` / `ToolCallDelta`: as fragments arrive. A fragment with an `index` continues the call last
 *   seen at that index, unless that call's arguments are settled (none yet, or complete JSON) and the fragment
 *   names another call: a different non-empty `id`, a different name, or (without an id) the same name with new
 *   arguments. Then it starts a new call: providers such as Ollama and Grok send parallel calls whole, all at index
 *   0. A fragment without `index` is matched by its `id`, else continues the last call when it is the only fragment
 *   of its delta and names no other call (a repeated name continues it too, until its arguments form complete
 *   JSON), else takes its position in the delta array. Each call's event `index` is its wire index, or one more
 *   than the largest so far when that index already belongs to an earlier call. `id`, `name` and `type`: the
 *   first non-empty value wins. Arguments are checked for complete JSON incrementally, in linear time.
 * - `ToolCall`: when the choice's `finish_reason` arrives, for its open calls whose arguments are complete JSON,
 *   in index order; at the end of the stream for every call still open (arguments still incomplete or empty),
 *   in index order. Not when a new index starts: providers interleave parallel calls. A call is final once its
 *   `ToolCall` is out: later fragments routed to it are ignored, by `accumulate` too, so both always agree.
 * - `finish_reason: ""` (and `null`) is no finish: it completes nothing and gives no `Finish`.
 * - `Citation`: when a `url_citation` annotation with a url first appears in `delta.annotations`, deduplicated
 *   per choice (url, title and indices).
 * - `Finish`: at the end of the stream, once per choice that reported a non-empty `finish_reason`, with the last such
 *   value (it may arrive twice); choices in index order.
 * - `Usage`: at the very end, once, with the last non-null `usage` (any chunk may carry it).
 *
 * The end of the stream is the end of the chunk stream (`[DONE]` after `decodeSse`); a failing stream emits no
 * end events. Nothing of the answer is retained: memory does not grow with the stream's length.
 *
 * @since 0.1.0
 * @category events
 */
export const events: <
  Self extends Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, any, any> | EventsOptions | undefined = undefined
>(
  chunksOrOptions?: Self,
  options?: OptionsAfter<Self, EventsOptions>
) => [Self] extends [Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, infer E, infer R>]
  ? Stream.Stream<ChatEvent.ChatEvent, E, R>
  : <E, R>(
    chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>
  ) => Stream.Stream<ChatEvent.ChatEvent, E, R> = dual((args) => isStream(args[0]), eventsImpl)

/**
 * Runs a chunk stream into the `ChatCompletion` the non-streaming call returns, with the same state machine as
 * `events`. `id`, `model`, `created`, `system_fingerprint`, `service_tier`: first non-empty value; `object` is
 * `"chat.completion"`; choices sorted by index, each with `message.role: "assistant"` and
 *
 * - `content`: the concatenated text; absent when no content fragment (not even `""`) ever came, as the API sends
 *   `content: null` for pure tool-call and refusal answers;
 * - `refusal`, `reasoning_content`: concatenated, absent when none came;
 * - `tool_calls`: exactly the calls `events` completes as `ToolCall`s, with the same id, name and arguments,
 *   sorted by their event index (calls that share a wire index in arrival order) and compacted (no holes), `type`
 *   defaulting to `"function"`;
 * - `annotations`: deduplicated, in order of arrival; `function_call` when the deprecated delta came;
 * - `finish_reason`: the last non-null, non-empty value; `logprobs`: the concatenated token lists;
 *
 * and `usage`: the last non-null one. Vendor fields of individual chunks are not merged. On chunks of a client
 * stream (`streamChunks`) the completion carries the response's `ResponseMeta` (`ResponseMeta.get`).
 *
 * @example
 * ```ts
 * import { ChatStream, NexosClient } from "@nexos-effect/client"
 * import { Effect } from "effect"
 *
 * const completion = Effect.flatMap(NexosClient.NexosClient, (nexos) =>
 *   ChatStream.accumulate(
 *     nexos.chat.completions.streamChunks({ model: "GPT 5.4 mini", messages: [{ role: "user", content: "Hi" }] })
 *   ))
 * ```
 *
 * @since 0.1.0
 * @category accumulating
 */
export const accumulate = <E, R>(
  chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>
): Effect.Effect<ChatCompletion.ChatCompletion, E, R> =>
  Effect.suspend(() => {
    const state = new EventState(true, undefined)
    const scratch: Array<ChatEvent.ChatEvent> = []
    return Effect.map(
      Stream.runForEachChunk(chunks, (c) =>
        Effect.sync(() => {
          state.feedArray(Chunk.toReadonlyArray(c), scratch)
          scratch.length = 0
        })),
      () => {
        const completion = state.completion()
        return state.meta === undefined ? completion : ResponseMeta.attach(completion, state.meta)
      }
    )
  })

/**
 * The last element of `eventsWithCompletion`: the completion `accumulate` builds from the same chunks, with the
 * response's metadata when the chunks came from a client stream (`streamChunks`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Completed {
  readonly _tag: "Completed"
  readonly completion: ChatCompletion.ChatCompletion
  readonly meta?: ResponseMeta.ResponseMeta
}

/**
 * The events of `events` as they come and, after the last one, one `Completed` with the completion `accumulate`
 * returns for the same chunks: one pass over one stream, to print the answer live and then store it. A failing
 * stream emits no `Completed`.
 *
 * @example
 * ```ts
 * import { ChatStream } from "@nexos-effect/client"
 * import type { ChatCompletionChunk } from "@nexos-effect/schema"
 * import { Console, Effect, Stream } from "effect"
 *
 * declare const chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk>
 *
 * const program = chunks.pipe(
 *   ChatStream.eventsWithCompletion,
 *   Stream.runForEach((part) =>
 *     part._tag === "TextDelta" ? Console.log(part.delta)
 *     : part._tag === "Completed" ? Console.log(part.completion.usage)
 *     : Effect.void
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category events
 */
export const eventsWithCompletion = <E, R>(
  chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>
): Stream.Stream<ChatEvent.ChatEvent | Completed, E, R> =>
  Stream.suspend(() => {
    const state = new EventState(true, undefined)
    return Stream.concat(
      Stream.mapChunks(chunks, (c): Chunk.Chunk<ChatEvent.ChatEvent | Completed> => state.feed(c)),
      Stream.suspend(() => {
        const completion = state.completion()
        const meta = state.meta
        const completed: Completed = meta === undefined
          ? { _tag: "Completed", completion }
          : { _tag: "Completed", completion: ResponseMeta.attach(completion, meta), meta }
        return Stream.fromChunk(Chunk.append(state.end() as Chunk.Chunk<ChatEvent.ChatEvent | Completed>, completed))
      })
    )
  })

const collect = <A, B, E, R>(self: Stream.Stream<A, E, R>, f: (a: A) => B | undefined): Stream.Stream<B, E, R> =>
  Stream.mapChunks(self, (chunk) => {
    const input = Chunk.toReadonlyArray(chunk)
    const out: Array<B> = []
    for (let i = 0; i < input.length; i++) {
      const b = f(input[i])
      if (b !== undefined) out.push(b)
    }
    return Chunk.unsafeFromArray(out)
  })

/**
 * Which choices a view keeps: one choice index (default 0) or `"all"`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChoiceOptions {
  readonly choice?: number | "all"
}

const pick = (options: ChoiceOptions | undefined) => {
  const choice = options?.choice ?? 0
  return (n: number): boolean => choice === "all" || n === choice
}

/**
 * The answer text fragments (`TextDelta.delta`) of an event stream, of choice 0 unless told otherwise.
 *
 * @example
 * ```ts
 * import { ChatStream, NexosClient } from "@nexos-effect/client"
 * import { Console, Effect, Stream } from "effect"
 *
 * const printed = Effect.flatMap(NexosClient.NexosClient, (nexos) =>
 *   nexos.chat.completions.stream({ model: "GPT 5.4 mini", messages: [{ role: "user", content: "Hi" }] }).pipe(
 *     ChatStream.text,
 *     Stream.runForEach((delta) => Console.log(delta))
 *   ))
 * ```
 *
 * @since 0.1.0
 * @category views
 */
export const text: <Self extends Stream.Stream<ChatEvent.ChatEvent, any, any> | ChoiceOptions | undefined = undefined>(
  selfOrOptions?: Self,
  options?: OptionsAfter<Self, ChoiceOptions>
) => [Self] extends [Stream.Stream<ChatEvent.ChatEvent, infer E, infer R>] ? Stream.Stream<string, E, R>
  : <E, R>(self: Stream.Stream<ChatEvent.ChatEvent, E, R>) => Stream.Stream<string, E, R> = dual(
    (args) => isStream(args[0]),
    <E, R>(self: Stream.Stream<ChatEvent.ChatEvent, E, R>, options?: ChoiceOptions) => {
      const keep = pick(options)
      return collect(self, (e) => e._tag === "TextDelta" && keep(e.choice) ? e.delta : undefined)
    }
  )

/**
 * The reasoning fragments (`ReasoningDelta.delta`) of an event stream, of choice 0 unless told otherwise.
 *
 * @since 0.1.0
 * @category views
 */
export const reasoning: <
  Self extends Stream.Stream<ChatEvent.ChatEvent, any, any> | ChoiceOptions | undefined = undefined
>(
  selfOrOptions?: Self,
  options?: OptionsAfter<Self, ChoiceOptions>
) => [Self] extends [Stream.Stream<ChatEvent.ChatEvent, infer E, infer R>] ? Stream.Stream<string, E, R>
  : <E, R>(self: Stream.Stream<ChatEvent.ChatEvent, E, R>) => Stream.Stream<string, E, R> = dual(
    (args) => isStream(args[0]),
    <E, R>(self: Stream.Stream<ChatEvent.ChatEvent, E, R>, options?: ChoiceOptions) => {
      const keep = pick(options)
      return collect(self, (e) => e._tag === "ReasoningDelta" && keep(e.choice) ? e.delta : undefined)
    }
  )

/**
 * The complete tool calls of an event stream (all choices), as they complete.
 *
 * @since 0.1.0
 * @category views
 */
export const toolCalls = <E, R>(
  self: Stream.Stream<ChatEvent.ChatEvent, E, R>
): Stream.Stream<ChatEvent.ToolCall, E, R> => collect(self, (e) => e._tag === "ToolCall" ? e : undefined)

/**
 * The citations of an event stream (all choices, deduplicated per choice).
 *
 * @since 0.1.0
 * @category views
 */
export const citations = <E, R>(
  self: Stream.Stream<ChatEvent.ChatEvent, E, R>
): Stream.Stream<ChatEvent.Citation, E, R> => collect(self, (e) => e._tag === "Citation" ? e : undefined)

/**
 * Runs an event stream and returns its usage (`None` when the response reported none).
 *
 * @since 0.1.0
 * @category views
 */
export const usage = <E, R>(
  self: Stream.Stream<ChatEvent.ChatEvent, E, R>
): Effect.Effect<Option.Option<Usage.Usage>, E, R> =>
  Stream.runFold(self, Option.none<Usage.Usage>(), (acc, e) => e._tag === "Usage" ? Option.some(e.usage) : acc)

/**
 * Options of `timeouts`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TimeoutOptions {
  /** How long to wait for the first element (default 60 s; `Duration.infinity` disables). */
  readonly firstChunk?: Duration.DurationInput
  /** How long to wait for each next element (default 60 s; `Duration.infinity` disables). */
  readonly idle?: Duration.DurationInput
  /** Put on the `Timeout` error. */
  readonly requestId?: string
}

/**
 * The default first-chunk and idle timeouts: 60 seconds each.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(60)

const timeoutsImpl = <A, E, R>(
  self: Stream.Stream<A, E, R>,
  options?: TimeoutOptions
): Stream.Stream<A, E | NexosError.Timeout, R> => {
  const requestId = options?.requestId === undefined ? {} : { requestId: options.requestId }
  return Watchdog.watch(self, {
    firstMs: Duration.toMillis(Duration.decode(options?.firstChunk ?? defaultTimeout)),
    idleMs: Duration.toMillis(Duration.decode(options?.idle ?? defaultTimeout)),
    onTimeout: (phase, timeoutMs) =>
      new NexosError.Timeout({
        message: phase === "first-chunk"
          ? `no data arrived within ${timeoutMs} ms of the start of the stream`
          : `no data arrived for ${timeoutMs} ms in the middle of the stream`,
        phase,
        timeoutMs,
        afterFirstByte: phase === "idle",
        ...requestId
      })
  })
}

/**
 * First-chunk and idle timeouts for any stream, counted in elements. Fails with `Timeout` phase `"first-chunk"` when
 * no element arrives within `firstChunk` of the start, and phase `"idle"` when, after that, the input stays silent
 * for longer than `idle`. The input is read by a fiber of its own, at most 16 chunks ahead of the consumer (which
 * takes whatever is ready in one pull), and time counts only while that fiber waits for the input: a slow consumer
 * never causes a timeout. On a timeout the input is interrupted (which cancels the socket). One watchdog fiber per
 * stream and no timer per element. For response bytes use `decodeSse`'s `firstChunkTimeout` / `idleTimeout`
 * instead (the client does): there the first phase ends at the first data event, not at the first bytes, and the
 * idle phase counts any bytes.
 *
 * @since 0.1.0
 * @category timeouts
 */
export const timeouts: <Self extends Stream.Stream<any, any, any> | TimeoutOptions | undefined = undefined>(
  selfOrOptions?: Self,
  options?: OptionsAfter<Self, TimeoutOptions>
) => [Self] extends [Stream.Stream<infer A, infer E, infer R>] ? Stream.Stream<A, E | NexosError.Timeout, R>
  : <A, E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<A, E | NexosError.Timeout, R> = dual(
    (args) => isStream(args[0]),
    timeoutsImpl
  )

/**
 * Splits an inline `<think>...</think>` section out of a final answer text: `thinking` is the text inside the
 * tags (all sections, trimmed; `""` when there is none), `content` the rest, trimmed, without tags. Text without
 * tags comes back unchanged. An unclosed `<think>` runs to the end. Unlike the nexos Python SDK, which puts the
 * whole match including the answer into `thinking` (a bug), `thinking` holds only the inner text.
 *
 * @since 0.1.0
 * @category post-processing
 */
export const splitThinking: (text: string) => { readonly content: string; readonly thinking: string } =
  Think.splitThinking

/**
 * The incremental form of `splitThinking` for an event stream: text inside `<think>...</think>` (tags may be
 * split across fragments) becomes `ReasoningDelta`, the rest stays `TextDelta`, per choice; the tags and the
 * leading whitespace of the answer and of the thinking are dropped. Up to 8 characters that may start a tag are held back, and released at
 * the choice's next `ToolCallStart`, `ToolCall` or `Finish`, or at the end. Opt-in: answers that mention the tag
 * literally would be split too.
 *
 * @since 0.1.0
 * @category post-processing
 */
export const routeThinking = <E, R>(
  self: Stream.Stream<ChatEvent.ChatEvent, E, R>
): Stream.Stream<ChatEvent.ChatEvent, E, R> =>
  Stream.suspend(() => {
    const splitters = new Map<number, Think.ThinkSplitter>()
    const emit = (choice: number, pieces: Array<readonly [boolean, string]>, out: Array<ChatEvent.ChatEvent>) => {
      for (const [inside, delta] of pieces) {
        out.push(inside ? { _tag: "ReasoningDelta", choice, delta } : { _tag: "TextDelta", choice, delta })
      }
    }
    const flush = (choice: number, out: Array<ChatEvent.ChatEvent>) => {
      const splitter = splitters.get(choice)
      if (splitter !== undefined) emit(choice, splitter.flush(), out)
    }
    return Stream.concat(
      Stream.mapChunks(self, (chunk) => {
        const out: Array<ChatEvent.ChatEvent> = []
        for (const e of Chunk.toReadonlyArray(chunk)) {
          if (e._tag === "TextDelta") {
            let splitter = splitters.get(e.choice)
            if (splitter === undefined) splitters.set(e.choice, splitter = new Think.ThinkSplitter())
            emit(e.choice, splitter.push(e.delta), out)
            continue
          }
          if (e._tag === "ToolCallStart" || e._tag === "ToolCall" || e._tag === "Finish") flush(e.choice, out)
          out.push(e)
        }
        return Chunk.unsafeFromArray(out)
      }),
      Stream.suspend(() => {
        const out: Array<ChatEvent.ChatEvent> = []
        for (const choice of [...splitters.keys()].sort((a, b) => a - b)) flush(choice, out)
        return Stream.fromIterable(out)
      })
    )
  })

/**
 * Extracts markdown links `[title](url)` from a final answer text as url citations, as the nexos Python SDK does
 * for web-search answers: each link is removed from `content` (which is then trimmed) and becomes an annotation
 * `{ type: "url_citation", url_citation: { title, url } }` (no indices). Unlike the SDK, image links `![alt](src)`
 * are left alone and repeated links give one annotation. Run it on the whole text, never per fragment: links
 * straddle fragments.
 *
 * @since 0.1.0
 * @category post-processing
 */
export const extractMarkdownCitations: (
  text: string
) => { readonly content: string; readonly annotations: ReadonlyArray<Annotation.Annotation> } =
  Think.extractMarkdownCitations

/**
 * Options of `postProcess`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PostProcessOptions {
  /** Split `<think>` sections into `reasoning_content` (default true). */
  readonly thinking?: boolean
  /** Move markdown links into `annotations` (default true). */
  readonly markdownCitations?: boolean
}

/**
 * The nexos Python SDK's response post-processing, as an explicit step on a completion (streamed and accumulated,
 * or not): for each choice whose content is a string, `<think>` sections move to `reasoning_content` (kept when
 * the provider already sent one) and then the answer's markdown links move to `annotations` (appended). Unlike
 * the SDK, links inside the thinking text are not taken as citations, and `thinking` never repeats the answer.
 * The result keeps the input's `ResponseMeta`.
 *
 * @since 0.1.0
 * @category post-processing
 */
export const postProcess = (
  completion: ChatCompletion.ChatCompletion,
  options?: PostProcessOptions
): ChatCompletion.ChatCompletion => {
  const thinking = options?.thinking ?? true
  const links = options?.markdownCitations ?? true
  return ResponseMeta.copy(completion, {
    ...completion,
    choices: completion.choices.map((choice) => {
      const content = choice.message.content
      if (typeof content !== "string" || content.length === 0) return choice
      let message = choice.message
      let answer = content
      if (thinking) {
        const split = Think.splitThinking(answer)
        answer = split.content
        if (split.thinking.length > 0 && message.reasoning_content === undefined) {
          message = { ...message, reasoning_content: split.thinking }
        }
      }
      if (links) {
        const extracted = Think.extractMarkdownCitations(answer)
        answer = extracted.content
        if (extracted.annotations.length > 0) {
          message = { ...message, annotations: [...(message.annotations ?? []), ...extracted.annotations] }
        }
      }
      return answer === content && message === choice.message
        ? choice
        : { ...choice, message: { ...message, content: answer } }
    })
  })
}
