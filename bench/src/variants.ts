/**
 * One benchmark process: one variant in one scenario. Prints ONE JSON line on stdout and exits.
 *
 *   node bench/dist/variants.js --variant NAME --scenario stream|plain|mem|pieces --port P
 *     stream: [--chunks 20000] [--mode burst|per-event] [--warmup 3] [--iters 10]
 *     plain:  [--requests 2000] [--warm-requests 200] [--concurrency 1]
 *     batchmem: [--requests 10000] [--concurrency 64]   Batch.run on an in-process transport; live memory and RSS
 *     mem:    [--chunks 20000]              one tiny stream, then one stream of --chunks; RSS around it
 *     pieces: [--piece-kib 64] [--chunks 20000] [--warmup 3] [--iters 10]
 *             decodeSse (variant nexos-decodeSse) or eventsource-parser + JSON.parse (variant esparser) over the
 *             bytes of one stream held in memory, cut into pieces of --piece-kib (no I/O)
 *     tools:  [--tool-kib 200] [--frags 2000] [--warmup 3] [--iters 10]
 *             one tool call whose --tool-kib KB of arguments arrive in --frags index-less fragments that repeat the
 *             name, held in memory in 64 KiB pieces (no I/O): raw-floor, nexos-events or nexos-accumulate
 *     all:    [--budget-s 25]
 *
 * Every loop is bounded by a count and by `--budget-s`; a hard exit timer backs that up. Heavy modules (undici,
 * openai, Effect, this library) are loaded lazily inside the variant, so the first stream of a fresh process includes
 * their import. Only 127.0.0.1 is contacted.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ChatEvent from "@nexos-effect/client/ChatEvent"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import { maxRssMB, mean, now, numberFlag, rssMB, stringFlag } from "./common.js"

const VARIANT = stringFlag("variant", "")
const SCENARIO = stringFlag("scenario", "stream")
const PORT = numberFlag("port", 0)
const CHUNKS = numberFlag("chunks", 20000)
const MODE = stringFlag("mode", "burst")
const WARMUP = numberFlag("warmup", 3)
const ITERS = numberFlag("iters", 10)
const REQUESTS = numberFlag("requests", 2000)
const WARM_REQUESTS = numberFlag("warm-requests", 200)
const CONCURRENCY = numberFlag("concurrency", 1)
const PIECE_KIB = numberFlag("piece-kib", 64)
const TOOL_KIB = numberFlag("tool-kib", 200)
const FRAGS = numberFlag("frags", 2000)
const BUDGET_MS = numberFlag("budget-s", 25) * 1000

const ORIGIN = `http://127.0.0.1:${PORT}`
const URL = `${ORIGIN}/v1/chat/completions`
const T0 = now()
const overBudget = (): boolean => now() - T0 > BUDGET_MS

const emit = (line: Record<string, unknown>, code: number): never => {
  process.stdout.write(JSON.stringify(line) + "\n")
  process.exit(code)
}

setTimeout(() => {
  emit({ ok: false, variant: VARIANT, scenario: SCENARIO, error: `hard timeout after ${BUDGET_MS + 5000} ms` }, 3)
}, BUDGET_MS + 5000).unref()

// ------------------------------------------------------------------------------------------------ request shapes

const MESSAGES = [
  { role: "system" as const, content: "You are a helpful assistant." },
  { role: "user" as const, content: "What is the weather in Paris and in Lyon? Also write me a long story." }
]
const TOOLS = [{
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Get the current weather for a location",
    parameters: {
      type: "object",
      properties: { location: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["location"]
    }
  }
}]
const MODEL = "gpt-4o-mini"

const streamBody = {
  model: MODEL,
  messages: MESSAGES,
  tools: TOOLS,
  stream: true as const,
  stream_options: { include_usage: true }
}
const streamBodyJson = JSON.stringify(streamBody)
const plainBody = { model: MODEL, messages: MESSAGES, temperature: 0.2 }
const plainBodyJson = JSON.stringify(plainBody)

const mockHeaders = (n: number): Record<string, string> => ({ "x-mock-chunks": String(n), "x-mock-mode": MODE })
const rawStreamHeaders = (n: number): Record<string, string> => ({
  "content-type": "application/json",
  authorization: "Bearer k",
  accept: "text/event-stream",
  ...mockHeaders(n)
})
const rawPlainHeaders = { "content-type": "application/json", authorization: "Bearer k" }

// ------------------------------------------------------------------------------------------------ raw floor

/** Single-line `data:` SSE framing by `indexOf("\n")`; enough for OpenAI-style streams. */
const makeLineSplitter = (onData: (data: string) => void) => {
  let buffer = ""
  return (text: string): void => {
    buffer = buffer.length > 0 ? buffer + text : text
    let start = 0
    let nl: number
    while ((nl = buffer.indexOf("\n", start)) !== -1) {
      let end = nl
      if (end > start && buffer.charCodeAt(end - 1) === 13) end--
      if (buffer.startsWith("data:", start)) {
        onData(buffer.slice(buffer.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end))
      }
      start = nl + 1
    }
    buffer = start === buffer.length ? "" : buffer.slice(start)
  }
}

interface Tally {
  events: number
  content: number
  toolCalls: number
  bytes: number
}

interface WireChunk {
  readonly choices: ReadonlyArray<{
    readonly delta?: { readonly content?: unknown; readonly tool_calls?: ReadonlyArray<{ readonly id?: unknown }> }
  }>
}

const tallyChunk = (tally: Tally, chunk: WireChunk): void => {
  tally.events++
  const delta = chunk.choices[0]?.delta
  if (delta === undefined || delta === null) return
  if (typeof delta.content === "string") tally.content += delta.content.length
  const call = delta.tool_calls?.[0]
  if (call !== undefined && typeof call.id === "string" && call.id !== "") tally.toolCalls++
}

type Undici = typeof import("undici")
let undiciModule: Undici | undefined
const loadUndici = async (): Promise<Undici> => undiciModule ??= await import("undici")

/** undici.request + streaming TextDecoder + line split + JSON.parse: the floor every ratio is taken against. */
const rawFloorStream = (undici: Undici, n: number): Promise<Tally> =>
  undici.request(URL, { method: "POST", headers: rawStreamHeaders(n), body: streamBodyJson }).then(async (r) => {
    const tally: Tally = { events: 0, content: 0, toolCalls: 0, bytes: 0 }
    const split = makeLineSplitter((data) => {
      if (data !== "[DONE]") tallyChunk(tally, JSON.parse(data) as WireChunk)
    })
    const decoder = new TextDecoder()
    for await (const part of r.body as AsyncIterable<Uint8Array>) {
      tally.bytes += part.length
      split(decoder.decode(part, { stream: true }))
    }
    return tally
  })

/** The raw floor's figures for a stream of `n` chunks: what every variant's result is checked against. */
const expectation = async (n: number): Promise<Tally> => rawFloorStream(await loadUndici(), n)

// ------------------------------------------------------------------------------------------------ variants

interface StreamOutcome {
  readonly events?: number
  readonly content?: number
  readonly toolCalls?: number
  readonly bytes?: number
}
type StreamRun = (n: number) => Promise<StreamOutcome>
/** Runs `total` requests at `concurrency`, skipping the rest once `stop()` holds; resolves to the number done. */
type PlainRun = (total: number, concurrency: number, stop: () => boolean) => Promise<number>

const pool = async (total: number, concurrency: number, stop: () => boolean, once: () => Promise<void>) => {
  let issued = 0
  let done = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, async () => {
    while (issued < total && !stop()) {
      issued++
      await once()
      done++
    }
  }))
  return done
}

const checkCompletion = (o: { readonly object?: unknown; readonly choices?: ReadonlyArray<unknown> }): void => {
  if (o.object !== "chat.completion" || o.choices?.length !== 1) throw new Error("unexpected completion")
}

type OpenAIClient = import("openai").OpenAI
let openaiClient: OpenAIClient | undefined
const loadOpenAI = async (): Promise<OpenAIClient> => {
  if (openaiClient !== undefined) return openaiClient
  const { OpenAI } = await import("openai")
  return openaiClient = new OpenAI({ apiKey: "k", baseURL: `${ORIGIN}/v1` })
}

// ---- Effect: transport via NodeHttpClient.layerUndici, one ManagedRuntime per process

const loadChatStream = () => import("@nexos-effect/client/ChatStream")

const loadEffectKit = async () => {
  const [Effect, Stream, Chunk, ManagedRuntime, HttpClient, HttpClientRequest, HttpClientResponse, NodeHttpClient] =
    await Promise.all([
      import("effect/Effect"),
      import("effect/Stream"),
      import("effect/Chunk"),
      import("effect/ManagedRuntime"),
      import("@effect/platform/HttpClient"),
      import("@effect/platform/HttpClientRequest"),
      import("@effect/platform/HttpClientResponse"),
      import("@effect/platform-node/NodeHttpClient")
    ])
  const runtime = ManagedRuntime.make(NodeHttpClient.layerUndici)
  const request = (n: number) =>
    HttpClientRequest.post(URL).pipe(
      HttpClientRequest.setHeaders({ authorization: "Bearer k", accept: "text/event-stream", ...mockHeaders(n) }),
      HttpClientRequest.bodyText(streamBodyJson, "application/json")
    )
  const bytes = (n: number): Stream.Stream<Uint8Array, unknown, HttpClient.HttpClient> =>
    HttpClientResponse.stream(
      Effect.flatMap(HttpClient.execute(request(n)), HttpClientResponse.filterStatusOk)
    )
  const run = <A>(effect: Effect.Effect<A, unknown, HttpClient.HttpClient>): Promise<A> => runtime.runPromise(effect)
  disposers.push(() => runtime.dispose())
  return { Effect, Stream, Chunk, bytes, run }
}

const countChunks = (kit: Awaited<ReturnType<typeof loadEffectKit>>) =>
<E, R>(
  chunks: Stream.Stream<ChatCompletionChunk.ChatCompletionChunk, E, R>
): Effect.Effect<StreamOutcome, E, R> =>
  kit.Effect.map(
    kit.Stream.runFold(chunks, { events: 0, content: 0, toolCalls: 0, bytes: 0 } as Tally, (tally, chunk) => {
      tallyChunk(tally, chunk as unknown as WireChunk)
      return tally
    }),
    ({ content, events, toolCalls }): StreamOutcome => ({ events, content, toolCalls })
  )

/** Text length and complete tool calls of an event stream (a fresh tally per stream, mutated in place). */
const countEvents =
  (S: typeof Stream) => <E, R>(events: Stream.Stream<ChatEvent.ChatEvent, E, R>): Effect.Effect<StreamOutcome, E, R> =>
    S.runFold(events, { content: 0, toolCalls: 0 }, (tally, event) => {
      if (event._tag === "TextDelta") tally.content += event.delta.length
      else if (event._tag === "ToolCall") tally.toolCalls++
      return tally
    })

const completionOutcome = (completion: ChatCompletion.ChatCompletion): StreamOutcome => {
  const message = completion.choices[0]?.message
  const content = typeof message?.content === "string" ? message.content.length : 0
  const calls = message?.tool_calls ?? []
  for (const call of calls) JSON.parse(call.function.arguments)
  return { content, toolCalls: calls.length }
}

const disposers: Array<() => Promise<void>> = []

// ---- the client: NexosClient.layer over NodeHttpClient.layerUndici

const loadNexosClient = async () => {
  const [Effect, Stream, Layer, ManagedRuntime, Redacted, NodeHttpClient, NexosClient, RetryPolicy] = await Promise
    .all([
      import("effect/Effect"),
      import("effect/Stream"),
      import("effect/Layer"),
      import("effect/ManagedRuntime"),
      import("effect/Redacted"),
      import("@effect/platform-node/NodeHttpClient"),
      import("@nexos-effect/client/NexosClient"),
      import("@nexos-effect/client/RetryPolicy")
    ])
  const runtime = ManagedRuntime.make(
    NexosClient.layer({ apiKey: Redacted.make("k"), baseUrl: `${ORIGIN}/v1`, retry: RetryPolicy.none }).pipe(
      Layer.provideMerge(NodeHttpClient.layerUndici)
    )
  )
  disposers.push(() => runtime.dispose())
  const service = await runtime.runPromise(NexosClient.NexosClient)
  return { Effect, Stream, runtime, service }
}

// ---- the client on its own transport: NexosClient.layerUndici

const loadNexosUndiciClient = async () => {
  const [Effect, Stream, ManagedRuntime, Redacted, NexosClient, RetryPolicy] = await Promise.all([
    import("effect/Effect"),
    import("effect/Stream"),
    import("effect/ManagedRuntime"),
    import("effect/Redacted"),
    import("@nexos-effect/client/NexosClient"),
    import("@nexos-effect/client/RetryPolicy")
  ])
  const runtime = ManagedRuntime.make(
    NexosClient.layerUndici({ apiKey: Redacted.make("k"), baseUrl: `${ORIGIN}/v1`, retry: RetryPolicy.none })
  )
  disposers.push(() => runtime.dispose())
  const service = await runtime.runPromise(NexosClient.NexosClient)
  return { Effect, Stream, runtime, service }
}

// ---- the bench's app (src/app.ts), unbundled (dist/app.js) or bundled with esbuild (dist/app.bundle.mjs)

const loadApp = async (file: "app.js" | "app.bundle.mjs") => {
  if (!Fs.existsSync(new globalThis.URL(`./${file}`, import.meta.url))) {
    throw new Error(`bench/dist/${file} is missing: run pnpm build (it bundles the app: bench/scripts/bundle.mjs)`)
  }
  const app =
    await (import(new globalThis.URL(`./${file}`, import.meta.url).href) as Promise<typeof import("./app.js")>)
  const started = await app.start(ORIGIN)
  disposers.push(started.dispose)
  return (n: number) => started.stream(chatStreamRequest, mockHeaders(n))
}

const chatRequest: ChatCompletionRequest.ChatCompletionRequest = plainBody
const chatStreamRequest: ChatCompletionRequest.ChatCompletionRequest = streamBody

const streamVariants: Record<string, () => Promise<StreamRun>> = {
  /** I/O floor: undici.request, bytes counted. */
  "raw-bytes": async () => {
    const undici = await loadUndici()
    return async (n) => {
      const r = await undici.request(URL, { method: "POST", headers: rawStreamHeaders(n), body: streamBodyJson })
      let bytes = 0
      for await (const part of r.body as AsyncIterable<Uint8Array>) bytes += part.length
      return { bytes }
    }
  },
  /** The raw floor: undici.request + line split + JSON.parse. */
  "raw-floor": async () => {
    const undici = await loadUndici()
    return (n) => rawFloorStream(undici, n)
  },
  /** openai-node: `create({ stream: true })`, iterated with for-await. */
  "openai-create": async () => {
    const client = await loadOpenAI()
    return async (n) => {
      const stream = await client.chat.completions.create(streamBody, { headers: mockHeaders(n) })
      const tally: Tally = { events: 0, content: 0, toolCalls: 0, bytes: 0 }
      for await (const chunk of stream) tallyChunk(tally, chunk as unknown as WireChunk)
      return { events: tally.events, content: tally.content, toolCalls: tally.toolCalls }
    }
  },
  /** openai-node: `.stream()` + `finalChatCompletion()` (accumulates content and tool calls). */
  "openai-stream-final": async () => {
    const client = await loadOpenAI()
    return async (n) => {
      const runner = client.chat.completions.stream(streamBody, { headers: mockHeaders(n) })
      let events = 0
      runner.on("chunk", () => {
        events++
      })
      const final = await runner.finalChatCompletion()
      const message = final.choices[0]?.message
      const calls = message?.tool_calls ?? []
      for (const call of calls) if (call.type === "function") JSON.parse(call.function.arguments)
      return { events, content: message?.content?.length ?? 0, toolCalls: calls.length }
    }
  },
  /** Effect transport only: NodeHttpClient.layerUndici + HttpClientResponse.stream, bytes counted. */
  "effect-bytes": async () => {
    const kit = await loadEffectKit()
    return (n) =>
      kit.run(kit.Stream.runFold(kit.bytes(n), 0, (total, part) => total + part.length)).then((bytes) => ({ bytes }))
  },
  /** This library: bytes -> `ChatStream.decodeSse` -> chunks counted. */
  "nexos-decodeSse": async () => {
    const [kit, ChatStream] = await Promise.all([loadEffectKit(), loadChatStream()])
    const count = countChunks(kit)
    return (n) => kit.run(count(ChatStream.decodeSse(kit.bytes(n))))
  },
  /** This library: bytes -> `decodeSse` -> `events` -> events counted. */
  "nexos-events": async () => {
    const [kit, ChatStream] = await Promise.all([loadEffectKit(), loadChatStream()])
    const count = countEvents(kit.Stream)
    return (n) => kit.run(count(ChatStream.events(ChatStream.decodeSse(kit.bytes(n)))))
  },
  /** This library: bytes -> `decodeSse` -> `accumulate` -> one ChatCompletion. */
  "nexos-accumulate": async () => {
    const [kit, ChatStream] = await Promise.all([loadEffectKit(), loadChatStream()])
    return (n) => kit.run(ChatStream.accumulate(ChatStream.decodeSse(kit.bytes(n)))).then(completionOutcome)
  },
  /** The same on `NexosClient.layerUndici`. */
  "nexos-client-stream-undici": async () => {
    const { Stream, runtime, service } = await loadNexosUndiciClient()
    const count = countEvents(Stream)
    return (n) =>
      runtime.runPromise(count(service.chat.completions.stream(chatStreamRequest, { headers: mockHeaders(n) })))
  },
  /** The bench's app (the client on `layerUndici`, imported through the packages' entry points), unbundled. */
  "nexos-app": () => loadApp("app.js"),
  /** The same app bundled with esbuild into one file, as the root README says to: the module load is one file. */
  "nexos-app-bundled": () => loadApp("app.bundle.mjs"),
  /** The full client: `service.chat.completions.stream(request)` -> events counted. */
  "nexos-client-stream": async () => {
    const { Stream, runtime, service } = await loadNexosClient()
    const count = countEvents(Stream)
    return (n) =>
      runtime.runPromise(count(service.chat.completions.stream(chatStreamRequest, { headers: mockHeaders(n) })))
  }
}

/** Runs `once` `total` times with `Effect.forEach` and a concurrency bound, checking each completion. */
const effectPool = (
  Effect: typeof import("effect/Effect"),
  runtime: { readonly runPromise: <A, E>(effect: import("effect/Effect").Effect<A, E, never>) => Promise<A> },
  once: import("effect/Effect").Effect<Parameters<typeof checkCompletion>[0], unknown, never>
): PlainRun =>
(total, concurrency, stop) => {
  let done = 0
  const item = Effect.suspend(() =>
    stop() ? Effect.void : Effect.map(once, (completion) => {
      checkCompletion(completion)
      done++
    })
  )
  return runtime.runPromise(
    Effect.forEach(Array.from({ length: total }), () => item, { concurrency, discard: true })
  ).then(() => done)
}

const plainVariants: Record<string, () => Promise<PlainRun>> = {
  "raw-undici": async () => {
    const undici = await loadUndici()
    const once = async () => {
      const r = await undici.request(URL, { method: "POST", headers: rawPlainHeaders, body: plainBodyJson })
      const o = JSON.parse(await r.body.text()) as { object?: unknown; choices?: ReadonlyArray<unknown> }
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`)
      checkCompletion(o)
    }
    return (total, concurrency, stop) => pool(total, concurrency, stop, once)
  },
  "openai": async () => {
    const client = await loadOpenAI()
    const once = async () => {
      checkCompletion(await client.chat.completions.create(plainBody))
    }
    return (total, concurrency, stop) => pool(total, concurrency, stop, once)
  },
  /** The Effect floor: one `Effect.tryPromise` around `undici.request` + `JSON.parse`, looped like the client. */
  "effect-floor": async () => {
    const [undici, Effect] = await Promise.all([loadUndici(), import("effect/Effect")])
    const once = Effect.tryPromise(async () => {
      const r = await undici.request(URL, { method: "POST", headers: rawPlainHeaders, body: plainBodyJson })
      const o = JSON.parse(await r.body.text()) as { object?: unknown; choices?: ReadonlyArray<unknown> }
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`)
      return o
    })
    return effectPool(Effect, { runPromise: Effect.runPromise }, once)
  },
  /** The client's `create` on `NexosClient.layerUndici` (its own transport), looped like `nexos-create`. */
  "nexos-create-undici": async () => {
    const { Effect, runtime, service } = await loadNexosUndiciClient()
    const once = service.chat.completions.create(chatRequest)
    return effectPool(Effect, runtime, once)
  },
  /** The transport alone: `NodeHttpClient.layerUndici` with tracing off + `JSON.parse`, no validation or policy. */
  "effect-http": async () => {
    const { Effect, runtime } = await loadNexosClient()
    const [HttpClient, HttpClientRequest] = await Promise.all([
      import("@effect/platform/HttpClient"),
      import("@effect/platform/HttpClientRequest")
    ])
    const client = HttpClient.withTracerDisabledWhen(await runtime.runPromise(HttpClient.HttpClient), () => true)
    const request = HttpClientRequest.post(URL).pipe(
      HttpClientRequest.setHeaders(rawPlainHeaders),
      HttpClientRequest.bodyText(plainBodyJson, "application/json")
    )
    const once = Effect.flatMap(client.execute(request), (r) => Effect.map(r.text, (text) => JSON.parse(text)))
    return effectPool(Effect, runtime, once)
  },
  /** `Batch.run` over a stream of keyed requests at the same concurrency bound; every result checked. */
  "nexos-batch": async () => {
    const { Effect, Stream, runtime } = await loadNexosClient()
    const Batch = await import("@nexos-effect/client/Batch")
    let round = 0
    return (total, concurrency, stop) => {
      const prefix = `r${round++}-`
      let done = 0
      const items = Stream.range(0, total - 1).pipe(
        Stream.takeWhile(() => !stop()),
        Stream.map((i) => ({ key: `${prefix}${i}`, request: chatRequest }))
      )
      return runtime.runPromise(
        Stream.runForEach(Batch.run(items, { concurrency, retry: { maxRetries: 0 } }), (result) =>
          Effect.sync(() => {
            if (result.outcome._tag !== "Succeeded") throw new Error(`batch result ${result.outcome._tag}`)
            checkCompletion(result.outcome.value)
            done++
          }))
      ).then(() => done)
    }
  },
  /** One `create(request)` call per request (each call validates its request), `Effect.forEach` at the bound: the
   * baseline of `nexos-batch`. */
  "nexos-create-calls": async () => {
    const { Effect, runtime, service } = await loadNexosClient()
    const once = Effect.suspend(() => service.chat.completions.create(chatRequest))
    return effectPool(Effect, runtime, once)
  },
  /** The client's `create`, looped with `Effect.forEach` and a concurrency bound. */
  "nexos-create": async () => {
    const { Effect, runtime, service } = await loadNexosClient()
    const once = service.chat.completions.create(chatRequest)
    return effectPool(Effect, runtime, once)
  }
}

// ------------------------------------------------------------------------------------------------ scenarios

const loadStream = (): Promise<StreamRun> => {
  const load = streamVariants[VARIANT]
  if (load === undefined) throw new Error(`unknown stream variant ${VARIANT}`)
  return load()
}

const check = (outcome: StreamOutcome, expect: Tally): void => {
  for (const key of ["events", "content", "toolCalls", "bytes"] as const) {
    const got = outcome[key]
    if (got !== undefined && got !== expect[key]) throw new Error(`${key}: got ${got}, expected ${expect[key]}`)
  }
}

const scenarioStream = async () => {
  // The first stream includes loading the variant's modules and building its client.
  const t = now()
  const runOne = await loadStream()
  const first = await runOne(CHUNKS)
  const firstMs = now() - t
  const expect = await expectation(CHUNKS)
  check(first, expect)
  const runs: Array<number> = []
  for (let i = 1; i < WARMUP + ITERS && !overBudget(); i++) {
    const start = now()
    const outcome = await runOne(CHUNKS)
    const ms = now() - start
    check(outcome, expect)
    if (i >= WARMUP) runs.push(ms)
  }
  if (runs.length === 0) throw new Error("budget exhausted before any measured iteration")
  const meanMs = mean(runs)
  return {
    events: expect.events,
    bytes: expect.bytes,
    iters: runs.length,
    runsMs: runs.map((x) => +x.toFixed(2)),
    meanMs,
    chunksPerSec: expect.events / (meanMs / 1000),
    MBps: expect.bytes / 1e6 / (meanMs / 1000),
    firstMs,
    maxRssMB: maxRssMB()
  }
}

const scenarioPlain = async () => {
  const load = plainVariants[VARIANT]
  if (load === undefined) throw new Error(`unknown plain variant ${VARIANT}`)
  const run = await load()
  const warm = Math.min(WARM_REQUESTS, REQUESTS)
  if ((await run(warm, CONCURRENCY, overBudget)) !== warm) throw new Error("budget exhausted during warm-up")
  const t = now()
  const cpu = process.cpuUsage()
  const done = await run(REQUESTS, CONCURRENCY, overBudget)
  const ms = now() - t
  const used = process.cpuUsage(cpu)
  if (done === 0) throw new Error("budget exhausted before any measured request")
  return {
    requests: done,
    concurrency: CONCURRENCY,
    ms,
    rps: done / (ms / 1000),
    cpuUsPerRequest: (used.user + used.system) / done,
    maxRssMB: maxRssMB()
  }
}

const scenarioMem = async () => {
  const runOne = await loadStream()
  await runOne(1)
  const before = { rssMB: rssMB(), maxRssMB: maxRssMB(), heapMB: process.memoryUsage().heapUsed / 1048576 }
  let sampledPeak = rssMB()
  const timer = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, rssMB())
  }, 2)
  const t = now()
  const outcome = await runOne(CHUNKS)
  const ms = now() - t
  clearInterval(timer)
  const after = { rssMB: rssMB(), maxRssMB: maxRssMB(), heapMB: process.memoryUsage().heapUsed / 1048576 }
  // Checked after the measurement, so the check's own buffers do not count.
  const expect = await expectation(CHUNKS)
  check(outcome, expect)
  return {
    ms,
    events: expect.events,
    before,
    after,
    sampledPeakRssMB: sampledPeak,
    growthMB: after.maxRssMB - before.maxRssMB
  }
}

const cutPieces = (whole: Uint8Array, size: number): Array<Uint8Array> => {
  const pieces: Array<Uint8Array> = []
  for (let i = 0; i < whole.length; i += size) pieces.push(whole.slice(i, i + size))
  return pieces
}

/** eventsource-parser 3 (full SSE parsing) + `JSON.parse` of every data payload: the parser the rule measures against. */
const esparserCount = async (): Promise<(pieces: ReadonlyArray<Uint8Array>) => StreamOutcome> => {
  const { createParser } = await import("eventsource-parser")
  return (pieces) => {
    const tally: Tally = { events: 0, content: 0, toolCalls: 0, bytes: 0 }
    const parser = createParser({
      onEvent: (event) => {
        if (event.data !== "[DONE]") tallyChunk(tally, JSON.parse(event.data) as WireChunk)
      }
    })
    const decoder = new TextDecoder()
    for (const piece of pieces) parser.feed(decoder.decode(piece, { stream: true }))
    return { events: tally.events, content: tally.content, toolCalls: tally.toolCalls }
  }
}

const scenarioPieces = async () => {
  if (VARIANT !== "nexos-decodeSse" && VARIANT !== "esparser") {
    throw new Error("the pieces scenario runs nexos-decodeSse or esparser")
  }
  const undici = await loadUndici()
  const expect = await expectation(CHUNKS)
  const r = await undici.request(URL, { method: "POST", headers: rawStreamHeaders(CHUNKS), body: streamBodyJson })
  const pieces = cutPieces(new Uint8Array(await r.body.arrayBuffer()), PIECE_KIB * 1024)
  let once: () => Promise<StreamOutcome>
  if (VARIANT === "esparser") {
    const count = await esparserCount()
    once = async () => count(pieces)
  } else {
    const [kit, ChatStream] = await Promise.all([loadEffectKit(), loadChatStream()])
    const count = countChunks(kit)
    // One piece per Chunk, as socket reads arrive.
    once = () =>
      kit.Effect.runPromise(count(ChatStream.decodeSse(kit.Stream.fromChunks(...pieces.map((p) => kit.Chunk.of(p))))))
  }
  const runs: Array<number> = []
  for (let i = 0; i < WARMUP + ITERS && !overBudget(); i++) {
    const start = now()
    const outcome = await once()
    const ms = now() - start
    check(outcome, expect)
    if (i >= WARMUP) runs.push(ms)
  }
  if (runs.length === 0) throw new Error("budget exhausted before any measured iteration")
  const meanMs = mean(runs)
  return {
    events: expect.events,
    bytes: expect.bytes,
    pieces: pieces.length,
    pieceKiB: PIECE_KIB,
    iters: runs.length,
    meanMs,
    chunksPerSec: expect.events / (meanMs / 1000)
  }
}

/** The SSE text of one tool call whose arguments arrive in `frags` fragments without index, each repeating the name. */
const toolStream = (kib: number, frags: number): { readonly bytes: Uint8Array; readonly args: string } => {
  const args = JSON.stringify({ location: "Paris", notes: "x".repeat(Math.max(0, kib * 1000 - 31)) })
  const head = { id: "chatcmpl-tools", object: "chat.completion.chunk", created: 1, model: MODEL }
  let text = ""
  for (let i = 0; i < frags; i++) {
    const piece = args.slice(Math.floor(i * args.length / frags), Math.floor((i + 1) * args.length / frags))
    const call = {
      ...(i === 0 ? { id: "call_big", type: "function" } : {}),
      function: { name: "get_weather", arguments: piece }
    }
    text += `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { tool_calls: [call] } }] })}\n\n`
  }
  text += `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })}\n\n`
  return { bytes: new TextEncoder().encode(text + "data: [DONE]\n\n"), args }
}

/** A tool-stream variant: the arguments it assembled from the pieces. */
type ToolRun = (pieces: ReadonlyArray<Uint8Array>) => Promise<string>

const toolVariants: Record<string, () => Promise<ToolRun>> = {
  /** Line split + `JSON.parse` + string concatenation of the fragments: the floor. */
  "raw-floor": async () => async (pieces) => {
    let args = ""
    const split = makeLineSplitter((data) => {
      if (data === "[DONE]") return
      const chunk = JSON.parse(data) as {
        choices: ReadonlyArray<{ delta: { tool_calls?: ReadonlyArray<{ function: { arguments: string } }> } }>
      }
      const call = chunk.choices[0]?.delta.tool_calls?.[0]
      if (call !== undefined) args += call.function.arguments
    })
    const decoder = new TextDecoder()
    for (const piece of pieces) split(decoder.decode(piece, { stream: true }))
    JSON.parse(args)
    return args
  },
  "nexos-events": async () => {
    const [Effect, Stream, Chunk, ChatStream] = await Promise.all([
      import("effect/Effect"),
      import("effect/Stream"),
      import("effect/Chunk"),
      loadChatStream()
    ])
    return (pieces) =>
      Effect.runPromise(
        Stream.runFold(
          ChatStream.events(ChatStream.decodeSse(Stream.fromChunks(...pieces.map((p) => Chunk.of(p))))),
          "",
          (args, e) => e._tag === "ToolCall" && e.parsed._tag === "Right" ? args + e.arguments : args
        )
      )
  },
  "nexos-accumulate": async () => {
    const [Effect, Stream, Chunk, ChatStream] = await Promise.all([
      import("effect/Effect"),
      import("effect/Stream"),
      import("effect/Chunk"),
      loadChatStream()
    ])
    return (pieces) =>
      Effect.runPromise(
        ChatStream.accumulate(ChatStream.decodeSse(Stream.fromChunks(...pieces.map((p) => Chunk.of(p)))))
      )
        .then((completion) => {
          const calls = completion.choices[0]?.message.tool_calls ?? []
          for (const call of calls) JSON.parse(call.function.arguments)
          return calls.map((call) => call.function.arguments).join("")
        })
  }
}

const scenarioTools = async () => {
  const load = toolVariants[VARIANT]
  if (load === undefined) throw new Error(`unknown tools variant ${VARIANT}`)
  const once = await load()
  const { args, bytes } = toolStream(TOOL_KIB, FRAGS)
  const pieces = cutPieces(bytes, 64 * 1024)
  const runs: Array<number> = []
  for (let i = 0; i < WARMUP + ITERS && !overBudget(); i++) {
    const start = now()
    const got = await once(pieces)
    const ms = now() - start
    if (got !== args) throw new Error(`arguments: got ${got.length} characters, expected ${args.length}`)
    if (i >= WARMUP) runs.push(ms)
  }
  if (runs.length === 0) throw new Error("budget exhausted before any measured iteration")
  const meanMs = mean(runs)
  return {
    frags: FRAGS,
    argsBytes: args.length,
    bytes: bytes.length,
    iters: runs.length,
    runsMs: runs.map((x) => +x.toFixed(2)),
    meanMs,
    chunksPerSec: (FRAGS + 1) / (meanMs / 1000)
  }
}

/**
 * `Batch.run` over `--requests` items at `--concurrency` through the full client on an in-process transport that
 * answers at once (no sockets: what is measured is the batch and the client, not the server), results consumed and
 * dropped. RSS around it, after a 1 000-item warm-up.
 */
const scenarioBatchMem = async () => {
  if (VARIANT !== "nexos-batch") throw new Error("the batchmem scenario runs nexos-batch only")
  const [Effect, Stream, Layer, Redacted, HttpClient, HttpClientResponse, NexosClient, Batch] = await Promise.all([
    import("effect/Effect"),
    import("effect/Stream"),
    import("effect/Layer"),
    import("effect/Redacted"),
    import("@effect/platform/HttpClient"),
    import("@effect/platform/HttpClientResponse"),
    import("@nexos-effect/client/NexosClient"),
    import("@nexos-effect/client/Batch")
  ])
  const body = JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 }
  })
  const transport = HttpClient.make((request) =>
    Effect.sync(() => HttpClientResponse.fromWeb(request, new Response(body, { status: 200 })))
  )
  const layer = NexosClient.layer({ apiKey: Redacted.make("k"), baseUrl: `${ORIGIN}/v1` }).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, transport))
  )
  V8.setFlagsFromString("--expose-gc")
  const gc = Vm.runInNewContext("gc") as () => void
  const liveMB = () => {
    gc()
    const usage = process.memoryUsage()
    return (usage.heapUsed + usage.external) / 1048576
  }
  let peakLiveMB = 0
  const runBatch = (prefix: string, total: number) => {
    let done = 0
    const items = Stream.range(0, total - 1).pipe(
      Stream.takeWhile(() => !overBudget()),
      Stream.map((i) => ({ key: `${prefix}${i}`, request: chatRequest }))
    )
    return Effect.runPromise(
      Stream.runForEach(Batch.run(items, { concurrency: CONCURRENCY }), (result) =>
        Effect.sync(() => {
          if (result.outcome._tag === "Succeeded") done++
          if (done % 2000 === 0) peakLiveMB = Math.max(peakLiveMB, liveMB())
        })).pipe(Effect.provide(layer))
    ).then(() => done)
  }
  await runBatch("warm-", 1000)
  const before = { rssMB: rssMB(), maxRssMB: maxRssMB(), liveMB: liveMB() }
  peakLiveMB = before.liveMB
  const t = now()
  const done = await runBatch("k", REQUESTS)
  const ms = now() - t
  if (done !== REQUESTS) throw new Error(`${done} of ${REQUESTS} requests done within the budget`)
  const after = { rssMB: rssMB(), maxRssMB: maxRssMB(), liveMB: liveMB() }
  return {
    requests: done,
    ms,
    rps: done / (ms / 1000),
    before,
    after,
    growthMB: after.maxRssMB - before.maxRssMB,
    liveGrowthMB: peakLiveMB - before.liveMB
  }
}

const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  batchmem: scenarioBatchMem,
  stream: scenarioStream,
  plain: scenarioPlain,
  mem: scenarioMem,
  pieces: scenarioPieces,
  tools: scenarioTools
}

const main = async () => {
  const base = { variant: VARIANT, scenario: SCENARIO, mode: MODE, chunks: CHUNKS }
  let line: Record<string, unknown>
  let code = 0
  try {
    const scenario = scenarios[SCENARIO]
    if (scenario === undefined) throw new Error(`unknown scenario ${SCENARIO}`)
    if (PORT === 0) throw new Error("--port is required")
    line = { ok: true, ...base, ...(await scenario()), wallMs: now() - T0 }
  } catch (e) {
    code = 1
    line = { ok: false, ...base, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }
  }
  await Promise.all(disposers.map((dispose) => dispose().catch(() => undefined)))
  emit(line, code)
}

void main()
