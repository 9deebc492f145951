import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Embeddings from "@nexos-effect/schema/Embeddings"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as Stream from "effect/Stream"
import * as Fault from "../Fault.js"
import type { Disconnect, Options, RecordedRequest } from "../MockGateway.js"
import * as Recorder from "../Recorder.js"
import * as Reply from "../Reply.js"
import * as Batches from "./batches.js"
import * as Connection from "./connection.js"
import * as Files from "./files.js"
import * as Generate from "./generate.js"
import * as Hash from "./hash.js"
import * as Management from "./management.js"
import * as Media from "./media.js"
import * as Render from "./render.js"
import { WaitList } from "./waitList.js"

export const defaultApiKey = "nexos-mock-key"

export const resetPath = "/_mock/reset"

const defaultModels = [
  { name: "GPT 4.1 mini", owned_by: "openai", endpoints: ["chat_completion", "responses", "batch"] },
  { name: "Claude Sonnet 4.5", owned_by: "anthropic", endpoints: ["chat_completion", "messages"] },
  { name: "Gemini 2.5 Flash", owned_by: "google", endpoints: ["chat_completion"] },
  { name: "text-embedding-3-small", owned_by: "openai", endpoints: ["embeddings"] }
]

const encoder = new TextEncoder()
const burstSlice = 256 * 1024

interface Flow {
  readonly record: RecordedRequest
  readonly requestId: string
  readonly method: string
  readonly path: string
  readonly started: number
  eventsSent: number
  serverClosed: boolean
}

export class GatewayState {
  seq = 0
  closing = false
  readonly requests: WaitList<RecordedRequest>
  readonly disconnects: WaitList<Disconnect>
  faultQueue: Array<Fault.Fault> = []
  persistent: { fault: Fault.Fault; used: number } | undefined
  readonly counters = new Map<string, number>()
  script: Array<Reply.Reply> = []
  readonly seen = new Set<string>()
  apiKey: string
  readonly auth: boolean
  readonly maxDelayMs: number
  readonly maxStallMs: number
  readonly created: number
  readonly models: ReadonlyArray<Record<string, unknown>>
  readonly modelNames: ReadonlySet<string>
  readonly disk = new Files.Disk()
  readonly files = new Files.FileStore(this.disk, "file")
  readonly storage = new Files.FileStore(this.disk, "storage")
  readonly batches = new Batches.BatchStore()
  readonly management: Management.Management
  /** Runs work in the background for the gateway's lifetime (set when the server starts). */
  background: (work: Effect.Effect<void>) => Effect.Effect<void> = () => Effect.void

  constructor(readonly options: Options) {
    this.requests = new WaitList(options.maxRecorded ?? 10_000)
    this.disconnects = new WaitList(options.maxRecorded ?? 10_000)
    this.apiKey = options.apiKey ?? defaultApiKey
    this.auth = options.auth ?? true
    this.maxDelayMs = options.maxDelayMs ?? 30_000
    this.maxStallMs = options.maxStallMs ?? 60_000
    this.created = options.created ?? 1_767_225_600
    this.management = new Management.Management(this.created)
    this.script = [...(options.script ?? [])]
    this.faultQueue = [...(options.faults ?? [])]
    this.persistent = options.fault === undefined ? undefined : { fault: options.fault, used: 0 }
    const models = options.models === undefined
      ? defaultModels
      : options.models.map((name) => ({ name, owned_by: "mock", endpoints: ["chat_completion", "embeddings"] }))
    this.models = models.map((m) => ({
      id: m.name,
      nexos_model_id: Hash.uuidFrom(m.name),
      object: "model",
      created: this.created,
      updated: this.created,
      owned_by: m.owned_by,
      name: m.name,
      timeout_ms: 60_000,
      stream_timeout_ms: 300_000,
      max_tokens: 32_768,
      context_length: 200_000,
      pricing: { input_cost_per_token: "0.0000025", output_cost_per_token: "0.00001" },
      endpoints: m.endpoints,
      region: "EU"
    }))
    this.modelNames = new Set(this.models.flatMap((m) => [m.id as string, m.nexos_model_id as string]))
  }

  /** Back to the state the gateway started in (the options' script and faults, nothing counted or cached). */
  reset(): void {
    this.seq = 0
    this.requests.clear()
    this.disconnects.clear()
    this.faultQueue = [...(this.options.faults ?? [])]
    this.persistent = this.options.fault === undefined ? undefined : { fault: this.options.fault, used: 0 }
    this.counters.clear()
    this.script = [...(this.options.script ?? [])]
    this.seen.clear()
    this.files.clear()
    this.storage.clear()
    this.batches.clear()
    this.management.clear()
  }
}

const errorTypes: Record<number, readonly [string, string, string | number]> = {
  400: ["Bad request", "invalid_request_error", "invalid_request"],
  401: ["Invalid API key provided", "authentication_error", "invalid_api_key"],
  402: ["Out of credits: a paid plan and purchased API credits are required", "insufficient_credits", "out_of_credits"],
  403: ["Action is not allowed", "permission_error", 110014],
  404: ["Model not found", "not_found_error", 100110],
  408: ["Request timed out", "timeout_error", "timeout"],
  409: ["Conflict", "conflict_error", "conflict"],
  422: ["Unprocessable entity", "invalid_request_error", "unprocessable_entity"],
  429: ["Rate limit exceeded, please retry later", "rate_limit_error", "rate_limit_exceeded"]
}

/** The gateway's error body for a status. */
export const errorBody = (status: number, message?: string, param: string | null = null, code?: string | number) => {
  const [defaultMessage, type, defaultCode] = errorTypes[status] ??
    (status >= 500
      ? ["The server had an error while processing your request", "server_error", "server_error"] as const
      : [`HTTP ${status}`, "invalid_request_error", String(status)] as const)
  return { error: { message: message ?? defaultMessage, type, param, code: code ?? defaultCode } }
}

const json = (status: number, body: unknown, headers: Record<string, string>) =>
  HttpServerResponse.text(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers,
    contentType: typeof body === "string" ? "text/plain; charset=utf-8" : "application/json"
  })

const requestKeys = new Set(
  SchemaAST.getPropertySignatures(ChatCompletionRequest.ChatCompletionRequest.ast).map((p) => String(p.name))
)

const knownFields = (body: unknown): unknown => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body
  let out: Record<string, unknown> | undefined
  for (const key of Object.keys(body)) {
    if (!requestKeys.has(key)) {
      out ??= { ...body as Record<string, unknown> }
      delete out[key]
    }
  }
  return out ?? body
}

const validateEmbeddings = Schema.validateEither(Embeddings.EmbeddingsRequest, { errors: "all" })

const redacted = new Set(["authorization", "x-api-key", "x-nexos-key", "proxy-authorization", "cookie"])

const redactHeaders = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>) => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const text = typeof value === "string" ? value : value.join(", ")
    out[name] = !redacted.has(name)
      ? text
      : name === "authorization" && /^bearer /i.test(text)
      ? "Bearer <redacted>"
      : "<redacted>"
  }
  return out
}

const keyOf = (headers: Readonly<Record<string, string | undefined>>): string | undefined => {
  const nexos = headers["x-nexos-key"]
  if (nexos !== undefined && nexos !== "") return nexos
  const apiKey = headers["x-api-key"]
  if (apiKey !== undefined && apiKey !== "") return apiKey
  const auth = headers["authorization"]
  if (auth !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim())
    if (m !== null) return m[1].trim()
  }
  return undefined
}

const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(text))
  } catch (e) {
    return Either.left(e instanceof Error ? e.message : String(e))
  }
}

const isDone = (event: string): boolean => /^data: ?\[DONE\]/m.test(event)

/** Splits SSE text into events, each with its blank-line terminator (the last may have none). */
export const splitEvents = (text: string): Array<string> => {
  const out: Array<string> = []
  const re = /\r\n\r\n|\n\n|\r\r/g
  let at = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push(text.slice(at, m.index + m[0].length))
    at = m.index + m[0].length
  }
  if (at < text.length) out.push(text.slice(at))
  return out
}

type Payload =
  | { readonly _tag: "Json"; readonly status: number; readonly headers: Record<string, string>; readonly body: string }
  | {
    readonly _tag: "Sse"
    readonly status: number
    readonly headers: Record<string, string>
    readonly events: ReadonlyArray<string>
  }
  | { readonly _tag: "Response"; readonly response: HttpServerResponse.HttpServerResponse }

const done = (response: HttpServerResponse.HttpServerResponse): Payload => ({ _tag: "Response", response })

const resolveFault = (
  state: GatewayState,
  header: string | undefined,
  method: string,
  path: string,
  raw: string
): Either.Either<Fault.Fault | undefined, string> => {
  if (header !== undefined) {
    const decoded = Either.flatMap(
      parseJson(header),
      (u) => Either.mapLeft(Fault.decodeUnknownEither(u), (e) => ParseResult.TreeFormatter.formatErrorSync(e))
    )
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    const fault = decoded.right
    if (fault.path !== undefined && fault.path !== path) return Either.right(undefined)
    if (fault.times === undefined) return Either.right(fault)
    const key = fault.key ?? Hash.digest(`${header}\n${method} ${path}\n${Hash.canonicalBody(raw)}`)
    const count = (state.counters.get(key) ?? 0) + 1
    state.counters.set(key, count)
    return Either.right(count <= fault.times ? fault : undefined)
  }
  const queued = state.faultQueue.findIndex((f) => f.path === undefined || f.path === path)
  if (queued >= 0) return Either.right(state.faultQueue.splice(queued, 1)[0])
  const persistent = state.persistent
  if (persistent === undefined || (persistent.fault.path !== undefined && persistent.fault.path !== path)) {
    return Either.right(undefined)
  }
  persistent.used++
  return Either.right(
    persistent.fault.times === undefined || persistent.used <= persistent.fault.times ? persistent.fault : undefined
  )
}

const closeSocket = (conn: Connection.Connection, flow: Flow, graceful: boolean): Effect.Effect<never> =>
  Effect.suspend(() => {
    flow.serverClosed = true
    return conn.close(graceful)
  })

const stall = (state: GatewayState, conn: Connection.Connection, flow: Flow): Effect.Effect<never> =>
  Effect.zipRight(Effect.sleep(state.maxStallMs), closeSocket(conn, flow, false))

const ping = encoder.encode(": ping\n\n")

const keepAlive = (
  state: GatewayState,
  conn: Connection.Connection,
  flow: Flow,
  everyMs: number
): Stream.Stream<Uint8Array> =>
  Stream.make(ping).pipe(
    Stream.concat(Stream.repeatEffect(Effect.as(Effect.sleep(Math.min(everyMs, state.maxDelayMs)), ping))),
    Stream.interruptAfter(state.maxStallMs),
    Stream.concat(Stream.fromEffect(closeSocket(conn, flow, false)))
  )

const faultEvents = (events: ReadonlyArray<string>, fault: Fault.Fault): ReadonlyArray<string> => {
  let out = events
  if (fault.noDone === true) out = out.filter((e) => !isDone(e))
  const frame = fault.errorFrame
  if (frame !== undefined) {
    const at = Math.min(frame.after ?? 1, out.length)
    const error = frame.error ?? errorBody(500).error
    out = [
      ...out.slice(0, at),
      `${frame.event === true ? "event: error\n" : ""}data: ${JSON.stringify({ error })}\n\n`,
      ...(frame.done === true ? ["data: [DONE]\n\n"] : [])
    ]
  }
  if (fault.malformedAfter !== undefined) {
    const at = Math.min(fault.malformedAfter, out.length)
    out = [
      ...out.slice(0, at),
      `data: {"id":"malformed","choices":[{"index":0,"delta":{"content":\n\n`,
      ...out.slice(at)
    ]
  }
  return out
}

const slices = (text: string): Array<Uint8Array> => {
  const bytes = encoder.encode(text)
  if (bytes.length <= burstSlice) return [bytes]
  const out: Array<Uint8Array> = []
  for (let at = 0; at < bytes.length; at += burstSlice) out.push(bytes.subarray(at, at + burstSlice))
  return out
}

const sseResponse = (
  state: GatewayState,
  conn: Connection.Connection,
  flow: Flow,
  payload: Extract<Payload, { _tag: "Sse" }>,
  fault: Fault.Fault | undefined
): HttpServerResponse.HttpServerResponse => {
  const options = {
    status: payload.status,
    headers: { "cache-control": "no-cache", ...payload.headers },
    contentType: "text/event-stream; charset=utf-8"
  }
  if (fault === undefined) {
    flow.eventsSent = payload.events.length
    const parts = slices(payload.events.join(""))
    return parts.length === 1
      ? HttpServerResponse.uint8Array(parts[0], options)
      : HttpServerResponse.stream(Stream.fromIterable(parts), options)
  }
  const events = faultEvents(payload.events, fault)
  const stopAt = fault.keepAlive !== undefined ? (fault.keepAlive.after ?? 0) : fault.stallAfter ?? fault.dropAfter
  const sent = stopAt === undefined ? events : events.slice(0, stopAt)
  const drip = Math.min(fault.dripMs ?? 0, state.maxDelayMs)
  let body: Stream.Stream<Uint8Array> = drip > 0
    ? Stream.fromIterable(sent).pipe(
      Stream.zipWithIndex,
      Stream.mapEffect(([event, i]) => {
        const bytes = Effect.sync(() => {
          flow.eventsSent = i + 1
          return encoder.encode(event)
        })
        return i === 0 ? bytes : Effect.zipRight(Effect.sleep(drip), bytes)
      })
    )
    : Stream.suspend(() => {
      flow.eventsSent = sent.length
      return Stream.fromIterable(slices(sent.join("")))
    })
  if (fault.keepAlive !== undefined) body = Stream.concat(body, keepAlive(state, conn, flow, fault.keepAlive.everyMs))
  else if (fault.stallAfter !== undefined) body = Stream.concat(body, Stream.fromEffect(stall(state, conn, flow)))
  else if (fault.dropAfter !== undefined) body = Stream.concat(body, Stream.fromEffect(closeSocket(conn, flow, true)))
  return HttpServerResponse.stream(body, options)
}

const jsonResponse = (
  state: GatewayState,
  conn: Connection.Connection,
  flow: Flow,
  payload: Extract<Payload, { _tag: "Json" }>,
  fault: Fault.Fault | undefined
): HttpServerResponse.HttpServerResponse => {
  const stopAt = fault?.stallAfter ?? fault?.dropAfter
  if (stopAt === undefined) {
    return HttpServerResponse.text(payload.body, {
      status: payload.status,
      headers: payload.headers,
      contentType: "application/json"
    })
  }
  const bytes = encoder.encode(payload.body)
  const partial = bytes.subarray(0, Math.min(stopAt, Math.max(0, bytes.length - 1)))
  const end = fault?.stallAfter !== undefined ? stall(state, conn, flow) : closeSocket(conn, flow, true)
  return HttpServerResponse.stream(Stream.concat(Stream.make(partial), Stream.fromEffect(end)), {
    status: payload.status,
    headers: payload.headers,
    contentType: "application/json"
  })
}

const invalid = (message: string, param: string | null, headers: Record<string, string>, code = "invalid_value") =>
  done(json(400, errorBody(400, message, param, code), headers))

const chatCompletion = (
  state: GatewayState,
  request: HttpServerRequest.HttpServerRequest,
  raw: string,
  parsed: Either.Either<unknown, string>,
  flow: Flow,
  headers: Record<string, string>
): Effect.Effect<Payload> =>
  Effect.gen(function*() {
    if (Either.isLeft(parsed)) {
      return invalid(`We could not parse the JSON body of your request: ${parsed.left}`, null, headers, "invalid_json")
    }
    const validated = ChatCompletionRequest.validate(knownFields(parsed.right))
    if (Either.isLeft(validated)) {
      const issues = validated.left
      const first = issues[0]
      return invalid(
        ChatCompletionRequest.formatIssues(issues),
        first === undefined || first.path === "(request)" ? null : first.path,
        headers,
        first?.message.startsWith("is missing") ? "missing_required_parameter" : "invalid_value"
      )
    }
    const body = validated.right
    if (state.options.rejectUnknownModels === true && !state.modelNames.has(body.model)) {
      return done(json(404, { error: { code: 100110, message: "Model not found" } }, headers))
    }
    let reply: Reply.Reply | undefined
    const replyHeader = request.headers[Reply.headerName]
    if (replyHeader !== undefined) {
      const decoded = Either.flatMap(parseJson(replyHeader), (u) =>
        Either.mapLeft(Reply.decodeUnknownEither(u), (e) => ParseResult.TreeFormatter.formatErrorSync(e)))
      if (Either.isLeft(decoded)) {
        return invalid(`${Reply.headerName}: ${decoded.left}`, Reply.headerName, headers)
      }
      reply = decoded.right
    }
    reply ??= state.script.shift()
    if (reply === undefined && state.options.replay !== undefined) {
      const recorded = yield* replayed(state, request, raw, headers)
      if (Option.isSome(recorded)) {
        return recorded.value
      }
    }
    reply ??= state.options.respond?.(body, flow.record)
    if (reply?._tag === "Json") {
      return {
        _tag: "Json",
        status: reply.status ?? 200,
        headers: { ...headers, ...reply.headers },
        body: JSON.stringify(reply.body)
      }
    }
    if (reply?._tag === "Sse") {
      const text = typeof reply.body === "string" ? reply.body : new TextDecoder().decode(reply.body)
      return {
        _tag: "Sse",
        status: reply.status ?? 200,
        headers: { ...headers, ...reply.headers },
        events: splitEvents(text)
      }
    }
    const cacheKey = Hash.digest(raw)
    const cached = state.seen.has(cacheKey)
    if (!cached) {
      state.seen.add(cacheKey)
    }
    const plan = Generate.plan(body, reply, {
      id: `chatcmpl-mock-${String(state.seq).padStart(8, "0")}`,
      created: state.created,
      answer: state.options.answer,
      cached,
      readFile: (id) =>
        state.storage.readText(id) ?? state.files.readText(id)
    })
    const out = {
      ...headers,
      "x-nexos-model-id": Hash.uuidFrom(body.model),
      "x-nexos-cache": cached ? "hit" : "miss",
      "x-nexos-completion-time-ms": String(Math.max(1, Date.now() - flow.started)),
      ...reply?.headers
    }
    if (body.stream === true) {
      return {
        _tag: "Sse",
        status: 200,
        headers: out,
        events: Render.chunkEvents(plan, body.stream_options?.include_usage === true)
      }
    }
    return { _tag: "Json", status: 200, headers: out, body: Render.completionJson(plan) }
  })

const replayed = (
  state: GatewayState,
  request: HttpServerRequest.HttpServerRequest,
  raw: string,
  headers: Record<string, string>
): Effect.Effect<Option.Option<Payload>> => {
  const key = Recorder.key(request.method, request.url, raw)
  return Effect.map(Recorder.read(state.options.replay!.dir, key), (found) => {
    if (Option.isNone(found) && state.options.replay!.fallback !== true) {
      return Option.some(done(json(
        404,
        errorBody(404, `No recording for ${request.method} ${request.url} (key ${key})`, null, "mock_no_recording"),
        headers
      )))
    }
    return Option.map(found, (recording): Payload => {
      const out = { ...recording.response.headers, ...headers }
      delete out["content-type"]
      const contentType = recording.response.headers["content-type"] ?? ""
      return contentType.includes("event-stream") || recording.response.body.startsWith("data:")
        ? { _tag: "Sse", status: recording.response.status, headers: out, events: splitEvents(recording.response.body) }
        : { _tag: "Json", status: recording.response.status, headers: out, body: recording.response.body }
    })
  })
}

const vector = (seed: string, dimensions: number): Array<number> => {
  let h = parseInt(Hash.digest(seed, 8), 16) >>> 0
  const out = new Array<number>(dimensions)
  let norm = 0
  for (let i = 0; i < dimensions; i++) {
    h = (h + 0x6d2b79f5) >>> 0
    let t = h
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5
    out[i] = x
    norm += x * x
  }
  const scale = 1 / Math.sqrt(norm || 1)
  for (let i = 0; i < dimensions; i++) out[i] = Number((out[i] * scale).toFixed(6))
  return out
}

const embeddings = (parsed: Either.Either<unknown, string>, headers: Record<string, string>): Payload => {
  if (Either.isLeft(parsed)) {
    return invalid(`We could not parse the JSON body of your request: ${parsed.left}`, null, headers, "invalid_json")
  }
  const validated = validateEmbeddings(parsed.right)
  if (Either.isLeft(validated)) {
    const issues = ChatCompletionRequest.issuesOf(validated.left)
    const first = issues[0]
    return invalid(ChatCompletionRequest.formatIssues(issues), first?.path ?? null, headers)
  }
  const request = validated.right
  const input = request.input
  const inputs: ReadonlyArray<unknown> = typeof input === "string"
    ? [input]
    : input.length > 0 && typeof input[0] === "number"
    ? [input]
    : input
  const dimensions = request.dimensions ?? 64
  let tokens = 0
  const data = inputs.map((item, index) => {
    const text = typeof item === "string" ? item : JSON.stringify(item)
    tokens += typeof item === "string"
      ? Math.max(1, Math.ceil(item.length / 4))
      : (item as ReadonlyArray<number>).length
    const v = vector(text, dimensions)
    return {
      object: "embedding",
      index,
      embedding: request.encoding_format === "base64"
        ? Buffer.from(new Float32Array(v).buffer).toString("base64")
        : v
    }
  })
  return {
    _tag: "Json",
    status: 200,
    headers: { ...headers, "x-nexos-model-id": Hash.uuidFrom(request.model) },
    body: JSON.stringify({
      object: "list",
      data,
      model: request.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens, nexos_credits_cost: Number((tokens * 2e-8).toFixed(10)) }
    })
  }
}

const batchRequest = (state: GatewayState, url: string, body: unknown, requestId: string): Batches.LineResult => {
  const failure = (status: number, message: string, param: string | null, code?: string | number) => ({
    status,
    body: errorBody(status, message, param, code)
  })
  if (url === "/v1/embeddings") {
    const payload = embeddings(Either.right(body), {})
    if (payload._tag === "Json") return { status: payload.status, body: JSON.parse(payload.body) }
    return failure(400, "Invalid embeddings request", null)
  }
  const validated = ChatCompletionRequest.validate(knownFields(body))
  if (Either.isLeft(validated)) {
    const first = validated.left[0]
    return failure(
      400,
      ChatCompletionRequest.formatIssues(validated.left),
      first === undefined || first.path === "(request)" ? null : first.path,
      "invalid_value"
    )
  }
  const request = validated.right
  if (state.options.rejectUnknownModels === true && !state.modelNames.has(request.model)) {
    return { status: 404, body: { error: { code: 100110, message: "Model not found" } } }
  }
  const reply = state.options.respond?.(request, {
    id: requestId,
    method: "POST",
    path: url,
    url,
    headers: {},
    body,
    receivedAt: Date.now()
  })
  if (reply?._tag === "Json") return { status: reply.status ?? 200, body: reply.body }
  const plan = Generate.plan(request, reply?._tag === "Generate" ? reply : undefined, {
    id: `chatcmpl-mock-${requestId}`,
    created: state.created,
    answer: state.options.answer,
    cached: false,
    readFile: (id) => state.storage.readText(id) ?? state.files.readText(id)
  })
  return { status: 200, body: JSON.parse(Render.completionJson(plan)) }
}

const batchesConfig = (state: GatewayState): Batches.BatchesConfig => ({
  files: state.files,
  errorBody,
  run: (url, body, requestId) => batchRequest(state, url, body, requestId),
  stepMs: state.options.batches?.stepMs ?? 25,
  requestsPerStep: state.options.batches?.requestsPerStep ?? 100,
  background: (work) => state.background(work)
})

const fileRoute = (
  state: GatewayState,
  request: HttpServerRequest.HttpServerRequest,
  path: string,
  flow: Flow,
  headers: Record<string, string>
): Effect.Effect<Payload> | undefined => {
  const storage = path.startsWith("/v1/storage")
  const config: Files.FilesConfig = {
    store: storage ? state.storage : state.files,
    camelCase: !storage,
    purposes: storage ? undefined : new Set(["batch"]),
    maxUploadBytes: state.options.maxUploadBytes ?? 512 * 1024 * 1024,
    errorBody,
    onMultipart: (summary) => {
      ;(flow.record as { body: unknown }).body = summary
    }
  }
  return Files.route(config, storage ? "/v1/storage" : "/v1/files", request, path, headers)
}

const route = (
  state: GatewayState,
  request: HttpServerRequest.HttpServerRequest,
  path: string,
  raw: string,
  parsed: Either.Either<unknown, string>,
  flow: Flow,
  headers: Record<string, string>
): Effect.Effect<Payload> => {
  const method = request.method
  if (method === "POST" && path === "/v1/chat/completions") {
    return chatCompletion(state, request, raw, parsed, flow, headers)
  }
  const other = Effect.suspend((): Effect.Effect<Payload> => {
    if (method === "GET" && path === "/v1/models") {
      return Effect.succeed({
        _tag: "Json",
        status: 200,
        headers,
        body: JSON.stringify({ object: "list", data: state.models, total: state.models.length })
      })
    }
    if (method === "POST" && path === "/v1/embeddings") return Effect.succeed(embeddings(parsed, headers))
    const files = fileRoute(state, request, path, flow, headers)
    if (files !== undefined) return files
    const batches = state.batches.route(batchesConfig(state), request, path, parsed, headers)
    if (batches !== undefined) return batches
    const media = Media.route(
      {
        errorBody,
        created: state.created,
        onMultipart: (summary) => void ((flow.record as { body: unknown }).body = summary)
      },
      request,
      path,
      parsed,
      headers
    )
    if (media !== undefined) return media
    const managed = state.management.route(
      {
        errorBody,
        modelIds: new Set(state.models.map((m) => m.nexos_model_id as string)),
        callerKey: keyOf(request.headers),
        rotateGatewayKey: (value) => {
          state.apiKey = value
        }
      },
      method,
      path,
      new URL(request.url, "http://mock"),
      parsed,
      headers
    )
    if (managed !== undefined) return Effect.succeed(managed)
    return Effect.succeed(done(json(
      404,
      errorBody(404, `Unknown request URL: ${method} ${path}`, null, "unknown_url"),
      headers
    )))
  })
  if (state.options.replay === undefined) return other
  return Effect.flatMap(
    replayed(state, request, raw, headers),
    Option.match({ onNone: () => other, onSome: Effect.succeed })
  )
}

/** The mock gateway as an `HttpApp`. */
export const app = (state: GatewayState) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.url === resetPath) {
      if (request.method !== "POST") return json(405, errorBody(405, `Use POST ${resetPath}`), {})
      state.reset()
      return HttpServerResponse.empty({ status: 204 })
    }
    const conn = Option.match(yield* Effect.serviceOption(Connection.CurrentExchange), {
      onNone: () => Connection.node(request),
      onSome: (exchange) => Connection.memory(request, exchange)
    })
    const seq = ++state.seq
    const requestId = `req_mock_${String(seq).padStart(8, "0")}`
    const url = request.url
    const q = url.indexOf("?")
    const path = q >= 0 ? url.slice(0, q) : url
    const method = request.method
    const multipart = (request.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/")
    const raw = multipart ? "" : yield* conn.body
    const parsed = raw === "" ? Either.left("the body is empty") : parseJson(raw)
    const started = Date.now()
    const record: RecordedRequest = {
      id: requestId,
      method,
      path,
      url,
      headers: redactHeaders(request.headers),
      body: raw === "" ? undefined : Either.getOrElse(parsed, () => raw),
      receivedAt: started
    }
    const flow: Flow = { record, requestId, method, path, started, eventsSent: 0, serverClosed: false }
    state.requests.push(record)
    conn.onClientGone(() => {
      if (!flow.serverClosed && !state.closing) {
        state.disconnects.push({
          requestId,
          method,
          path,
          eventsSent: flow.eventsSent,
          afterMs: Date.now() - flow.started
        })
      }
    })
    const baseHeaders: Record<string, string> = { "x-request-id": requestId }
    if (method === "GET" && path === "/health") return HttpServerResponse.text("ok")
    const resolved = resolveFault(state, request.headers[Fault.headerName], method, path, raw)
    if (Either.isLeft(resolved)) {
      return json(400, errorBody(400, `${Fault.headerName}: ${resolved.left}`, Fault.headerName), baseHeaders)
    }
    const fault = resolved.right
    const headers = fault?.headers === undefined ? baseHeaders : { ...baseHeaders, ...fault.headers }
    if (fault?.delayMs !== undefined) yield* Effect.sleep(Math.min(fault.delayMs, state.maxDelayMs))
    if (fault?.dropAfter === 0) return yield* closeSocket(conn, flow, false)
    if (fault?.stallAfter === 0) return yield* stall(state, conn, flow)
    if (state.auth) {
      const key = keyOf(request.headers)
      if (key !== state.apiKey && (key === undefined || !state.management.accepts(key))) {
        return json(
          401,
          errorBody(
            401,
            key === undefined
              ? "Missing API key: send it as Authorization: Bearer <key> or X-Api-Key: <key>"
              : "Invalid API key provided",
            null,
            "invalid_api_key"
          ),
          headers
        )
      }
    }
    if (fault?.status !== undefined) {
      return json(fault.status, fault.body === undefined ? errorBody(fault.status) : fault.body, headers)
    }
    const payload = yield* route(state, request, path, raw, parsed, flow, headers)
    switch (payload._tag) {
      case "Response":
        return payload.response
      case "Json":
        return jsonResponse(state, conn, flow, payload, fault)
      case "Sse":
        return sseResponse(state, conn, flow, payload, fault)
    }
  }).pipe(
    Effect.catchAllDefect((defect) =>
      defect === Connection.closed ? Effect.succeed(HttpServerResponse.empty({ status: 500 })) : Effect.as(
        Effect.logError("mock gateway: unexpected failure", defect),
        json(500, errorBody(500, `mock gateway failure: ${String(defect)}`), {})
      )
    )
  )
