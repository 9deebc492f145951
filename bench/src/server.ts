/**
 * The benchmark's mock of `POST /v1/chat/completions` (node:http, no dependencies, 127.0.0.1 only). One process
 * serves a whole run; it exits after `--max-lifetime-s`, or as soon as the driver that spawned it goes away.
 *
 *   node bench/dist/server.js [--port 0] [--max-lifetime-s 1200]
 *
 * Prints `listening <port>` on stdout once bound.
 *
 * - Without `"stream": true`: a fixed `chat.completion` of about 881 B.
 * - With `"stream": true`: SSE of 1 role chunk, N content chunks (words with multi-byte UTF-8), T tool calls of an
 *   id/name chunk plus F argument fragments each, 1 `finish_reason` chunk, 1 usage chunk (`choices: []`), `[DONE]`.
 *
 * Knobs by request header: `x-mock-chunks` (N, default 1000), `x-mock-tool-calls` (T, default 2), `x-mock-arg-frags`
 * (F, default 20), `x-mock-mode` (`burst`, the default: the whole prebuilt stream in one write, so the client is the
 * bottleneck; `per-event`: one write per event, yielding every 64 events). Response headers `x-mock-total-events`
 * (data events without `[DONE]`) and `x-mock-total-bytes`.
 */
import * as Http from "node:http"
import { numberFlag } from "./common.js"

const PORT = numberFlag("port", 0)
const MAX_LIFETIME_S = numberFlag("max-lifetime-s", 1200)

const ID = "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"
const CREATED = 1741569952
const MODEL = "gpt-4o-mini"
const FP = "fp_f9f4fb6dbf"
const WORDS = [
  " the",
  " quick",
  " brown",
  " fox",
  " jumps",
  " over",
  " lazy",
  " dog",
  ",",
  " and",
  " then",
  " it",
  " writes",
  " a",
  " longer",
  " sentence",
  " with",
  " émoji 🦊",
  " tokens",
  "."
]

const chunkLine = (choice: string | null, usage?: string): string =>
  `data: {"id":"${ID}","object":"chat.completion.chunk","created":${CREATED},"model":"${MODEL}",` +
  `"system_fingerprint":"${FP}","choices":${choice === null ? "[]" : `[${choice}]`}` +
  (usage === undefined ? "" : `,"usage":${usage}`) + `}\n\n`

interface Prebuilt {
  readonly events: ReadonlyArray<string>
  readonly dataEvents: number
  readonly whole: Buffer
  buffers: ReadonlyArray<Buffer> | undefined
}

const cache = new Map<string, Prebuilt>()

const build = (n: number, toolCalls: number, argFrags: number): Prebuilt => {
  const key = `${n}/${toolCalls}/${argFrags}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const events: Array<string> = []
  events.push(chunkLine(
    `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`
  ))
  for (let k = 0; k < n; k++) {
    const word = JSON.stringify(WORDS[k % WORDS.length])
    events.push(chunkLine(`{"index":0,"delta":{"content":${word}},"logprobs":null,"finish_reason":null}`))
  }
  for (let t = 0; t < toolCalls; t++) {
    const id = `call_${"abcdefghijklmnopqrstuv".slice(0, 22 - String(t).length)}${t}`
    events.push(chunkLine(
      `{"index":0,"delta":{"tool_calls":[{"index":${t},"id":"${id}","type":"function",` +
        `"function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}`
    ))
    const full = JSON.stringify({
      location: "Paris, France",
      unit: "celsius",
      note: "x".repeat(argFrags * 2),
      days: [1, 2, 3]
    })
    const step = Math.ceil(full.length / argFrags)
    for (let f = 0; f < full.length; f += step) {
      const fragment = JSON.stringify(full.slice(f, f + step))
      events.push(chunkLine(
        `{"index":0,"delta":{"tool_calls":[{"index":${t},"function":{"arguments":${fragment}}}]},` +
          `"logprobs":null,"finish_reason":null}`
      ))
    }
  }
  events.push(chunkLine(
    `{"index":0,"delta":{},"logprobs":null,"finish_reason":"${toolCalls > 0 ? "tool_calls" : "stop"}"}`
  ))
  const completionTokens = n + toolCalls * argFrags
  events.push(chunkLine(
    null,
    `{"prompt_tokens":42,"completion_tokens":${completionTokens},"total_tokens":${42 + completionTokens},` +
      `"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":` +
      `{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`
  ))
  const dataEvents = events.length
  events.push("data: [DONE]\n\n")
  const prebuilt: Prebuilt = { events, dataEvents, whole: Buffer.from(events.join(""), "utf8"), buffers: undefined }
  if (cache.size >= 8) cache.clear()
  cache.set(key, prebuilt)
  return prebuilt
}

const COMPLETION = Buffer.from(
  JSON.stringify({
    id: ID,
    object: "chat.completion",
    created: CREATED,
    model: MODEL,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: "Hello! This is a fixed mock completion used for benchmarking. It is roughly long enough to make " +
          "the whole response body about one kilobyte, which is in the range of a typical short answer from the " +
          "API. The quick brown fox jumps over the lazy dog, and then it writes a longer sentence with tokens.",
        refusal: null,
        annotations: []
      },
      logprobs: null,
      finish_reason: "stop"
    }],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 64,
      total_tokens: 83,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0
      }
    },
    service_tier: "default",
    system_fingerprint: FP
  }),
  "utf8"
)

const header = (req: Http.IncomingMessage, name: string, fallback: string): string => {
  const value = req.headers[name]
  return typeof value === "string" ? value : fallback
}

const server = Http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "text/plain" })
    res.end("ok")
    return
  }
  if (req.method !== "POST" || req.url === undefined || !req.url.startsWith("/v1/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" })
    res.end("{\"error\":{\"message\":\"not found\",\"type\":\"invalid_request_error\"}}")
    return
  }
  const parts: Array<Buffer> = []
  req.on("data", (part: Buffer) => parts.push(part))
  req.on("end", () => {
    let stream = false
    try {
      const body: unknown = JSON.parse(Buffer.concat(parts).toString("utf8") || "{}")
      stream = typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true
    } catch {
      stream = false
    }
    if (!stream) {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": COMPLETION.length,
        "x-request-id": "req_mock",
        "openai-processing-ms": "1"
      })
      res.end(COMPLETION)
      return
    }
    const prebuilt = build(
      Number(header(req, "x-mock-chunks", "1000")),
      Number(header(req, "x-mock-tool-calls", "2")),
      Number(header(req, "x-mock-arg-frags", "20"))
    )
    // No content-length: chunked transfer-encoding, as the real API sends over HTTP/1.1.
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-request-id": "req_mock",
      "x-mock-total-events": String(prebuilt.dataEvents),
      "x-mock-total-bytes": String(prebuilt.whole.length)
    })
    if (header(req, "x-mock-mode", "burst") !== "per-event") {
      res.end(prebuilt.whole)
      return
    }
    const buffers = prebuilt.buffers ?? (prebuilt.buffers = prebuilt.events.map((e) => Buffer.from(e, "utf8")))
    let k = 0
    const pump = (): void => {
      while (k < buffers.length) {
        const ok = res.write(buffers[k++])
        if (!ok) {
          res.once("drain", pump)
          return
        }
        if (k % 64 === 0) {
          setImmediate(pump)
          return
        }
      }
      res.end()
    }
    res.on("close", () => {
      k = buffers.length
    })
    pump()
  })
})
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000
server.listen(PORT, "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : PORT
  process.stdout.write(`listening ${port}\n`)
})

const stop = (why: string) => {
  if (why !== "") process.stderr.write(`bench server: ${why}, exiting\n`)
  server.close()
  process.exit(0)
}
setTimeout(() => stop("max lifetime reached"), MAX_LIFETIME_S * 1000).unref()
process.on("disconnect", () => stop(""))
process.on("SIGINT", () => stop(""))
process.on("SIGTERM", () => stop(""))
