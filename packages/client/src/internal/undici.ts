/**
 * The client's own transport over undici (`NexosClient.layerUndici`): an `HttpClient` built with
 * `HttpClient.makeWith`, and the same request as a bare function taking the `AbortController` of the attempt, so the
 * client can bound an attempt with a timer that aborts it instead of a second fiber. Bodies are read once (the
 * promise is memoised), headers are converted once, and one `AbortController` per request serves interruption,
 * timeouts and closing a stream early.
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import type * as Undici from "undici"
import type * as Watchdog from "./watchdog.js"

/** First-chunk and idle timeouts applied by the body reader itself (see `Watchdog.WatchOptions`). */
export type Watch<E2> = Watchdog.WatchOptions<Uint8Array, E2>

/** The transport: the `HttpClient`, and `execute` with the caller's controller (aborting it cancels the request). */
export interface Native {
  readonly client: HttpClient.HttpClient
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest,
    controller: AbortController
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
}

const noop = () => {}

const target = (
  request: HttpClientRequest.HttpClientRequest
): { readonly origin: string; readonly path: string } | undefined => {
  const url = request.url
  if (request.urlParams.length === 0 && request.hash._tag === "None") {
    const scheme = url.indexOf("://")
    if (scheme > 0) {
      const slash = url.indexOf("/", scheme + 3)
      return slash < 0 ? { origin: url, path: "/" } : { origin: url.slice(0, slash), path: url.slice(slash) }
    }
  }
  const made = UrlParams.makeUrl(url, request.urlParams, request.hash)
  if (made._tag === "Left") return undefined
  return { origin: made.right.origin, path: made.right.pathname + made.right.search + made.right.hash }
}

type Body = Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>

const bodyOf = (body: HttpClientRequest.HttpClientRequest["body"]): Body => {
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return body.body
    case "Raw":
      return body.body as Body
    case "FormData":
      return body.formData as unknown as Body
    case "Stream":
      return Readable.from(Stream.toAsyncIterable(body.stream as Stream.Stream<Uint8Array, unknown>))
  }
}

/** A promise as an effect that aborts `controller` when interrupted. */
const await_ = <A, E>(
  controller: AbortController,
  evaluate: () => Promise<A>,
  onError: (cause: unknown) => E
): Effect.Effect<A, E> =>
  Effect.async<A, E>((resume) => {
    evaluate().then(
      (value) => resume(Effect.succeed(value)),
      (cause) => resume(Effect.fail(onError(cause)))
    )
    return Effect.sync(() => controller.abort())
  })

/** A response of this transport. */
export class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private cachedHeaders: Headers.Headers | undefined = undefined
  private cachedCookies: Cookies.Cookies | undefined = undefined
  private textPromise: Promise<string> | undefined = undefined
  private bufferPromise: Promise<ArrayBuffer> | undefined = undefined
  private formPromise: Promise<FormData> | undefined = undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    private readonly source: Undici.Dispatcher.ResponseData,
    private readonly controller: AbortController
  ) {
    super()
    source.body.on("error", noop)
  }

  private decodeError = (cause: unknown) =>
    new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    return this.cachedHeaders ??= Headers.fromInput(
      this.source.headers as Record<string, string | ReadonlyArray<string> | undefined>
    )
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const header = this.source.headers["set-cookie"]
    return this.cachedCookies = header === undefined
      ? Cookies.empty
      : Cookies.fromSetCookie(Array.isArray(header) ? header : [header as string])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return await_(this.controller, () => this.textPromise ??= this.source.body.text(), this.decodeError)
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(
      this.text,
      (text) => Effect.try({ try: () => text === "" ? null : JSON.parse(text), catch: this.decodeError })
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(
      this.text,
      (text) => Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: this.decodeError })
    )
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return await_(this.controller, () => this.bufferPromise ??= this.source.body.arrayBuffer(), this.decodeError)
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return await_(
      this.controller,
      () => this.formPromise ??= this.source.body.formData() as unknown as Promise<FormData>,
      this.decodeError
    )
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.fromChannel(
      Channel.suspend(() => readBody(this.source.body, this.controller, this.decodeError, undefined))
    )
  }

  /**
   * The body under first-chunk and idle timeouts kept by the reader: a timer runs only while it waits for bytes,
   * and when it fires the request is aborted and the stream fails with `onTimeout` (no second fiber, no queue).
   */
  watched<E, E2>(
    watch: Watch<E2>,
    onError: (error: HttpClientError.ResponseError) => E
  ): Stream.Stream<Uint8Array, E | E2> {
    return Stream.fromChannel(
      Channel.suspend(() =>
        readBody<E | E2>(this.source.body, this.controller, (cause) => onError(this.decodeError(cause)), watch)
      )
    )
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/** Reads a Node readable as chunks of everything buffered at each wake-up; closing early aborts the request. With
 * `watch`, a timer bounds each wait for bytes: until the first data (from the start) and then between reads. */
const readBody = <E>(
  body: Undici.Dispatcher.ResponseData["body"],
  controller: AbortController,
  onError: (cause: unknown) => E,
  watch: Watch<E> | undefined
): Channel.Channel<Chunk.Chunk<Uint8Array>, unknown, E> => {
  let exit: Exit.Exit<void, E> | undefined = body.errored ? Exit.fail(onError(body.errored)) : undefined
  const startedAt = Date.now()
  let started = false
  let timer: ReturnType<typeof setTimeout> | undefined = undefined
  let wake: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  const signal = () => {
    const resume = wake
    if (resume !== undefined) {
      wake = undefined
      resume(Effect.void)
    }
  }
  const onReadable = signal
  const onFailure = (cause: unknown) => {
    exit ??= Exit.fail(onError(cause))
    signal()
  }
  const onEnd = () => {
    exit ??= Exit.void
    signal()
  }
  const fire = (phase: "first-chunk" | "idle", limitMs: number) => () => {
    timer = undefined
    exit ??= Exit.fail(watch!.onTimeout(phase, limitMs))
    controller.abort()
    signal()
  }
  const arm = () => {
    if (watch === undefined) return
    if (!started) {
      if (Number.isFinite(watch.firstMs)) {
        timer = setTimeout(fire("first-chunk", watch.firstMs), Math.max(0, startedAt + watch.firstMs - Date.now()))
      }
    } else if (Number.isFinite(watch.idleMs)) {
      timer = setTimeout(fire("idle", watch.idleMs), watch.idleMs)
    }
  }
  const disarm = () => {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
  }
  body.on("readable", onReadable)
  body.on("error", onFailure)
  body.on("end", onEnd)
  const waitReadable = Effect.async<void>((resume) => {
    wake = resume
    arm()
    return Effect.sync(disarm)
  })
  const loop = (): Channel.Channel<Chunk.Chunk<Uint8Array>, unknown, E> => {
    disarm()
    if (exit !== undefined && exit._tag === "Failure") return Channel.fromEffect(exit)
    let item = body.read() as Uint8Array | null
    if (item === null) {
      if (exit !== undefined) return Channel.fromEffect(exit)
      return Channel.flatMap(waitReadable, loop)
    }
    const items = [item]
    while ((item = body.read() as Uint8Array | null) !== null) items.push(item)
    const chunk = Chunk.unsafeFromArray(items)
    if (watch !== undefined) {
      const data = watch.isStarted === undefined || watch.isStarted(chunk)
      if (!started) started = data
    }
    return Channel.flatMap(Channel.write(chunk), loop)
  }
  return Channel.ensuring(
    Channel.suspend(loop),
    Effect.sync(() => {
      disarm()
      body.off("readable", onReadable)
      body.off("error", onFailure)
      body.off("end", onEnd)
      if (exit === undefined || exit._tag === "Failure") controller.abort()
    })
  )
}

/** Sends one request through a dispatcher (undici's `Dispatcher.request`). */
export type Send = (
  dispatcher: Undici.Dispatcher,
  options: Undici.Dispatcher.RequestOptions
) => Promise<Undici.Dispatcher.ResponseData>

const sendRequest: Send = (dispatcher, options) => dispatcher.request(options)

/** undici's entry, named through a variable so that a bundler does not inline the whole package for a fallback. */
const undiciEntry = "undici"

/**
 * A new `Agent` and the `request` that goes with it, from undici's own modules: 26 files where `import("undici")`
 * loads 111 (fetch, WebSocket, cache, mocks), which is a sixth of a fresh process's first request. Falls back to the
 * package's entry if those paths ever move.
 */
export const defaultAgent: Effect.Effect<{ readonly agent: Undici.Dispatcher; readonly send: Send }> = Effect.promise(
  () =>
    Promise.all([import("undici/lib/dispatcher/agent.js"), import("undici/lib/api/api-request.js")]).then(
      ([agent, request]) => ({
        agent: new agent.default(),
        send: (dispatcher: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions) =>
          request.default.call(dispatcher, options)
      }),
      () =>
        (import(undiciEntry) as Promise<typeof Undici>).then((undici) => ({
          agent: new undici.Agent(),
          send: sendRequest
        }))
    )
)

/** The transport over a dispatcher. */
export const make = (dispatcher: Undici.Dispatcher, send: Send = sendRequest): Native => {
  const execute = (
    request: HttpClientRequest.HttpClientRequest,
    controller: AbortController
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
    const to = target(request)
    if (to === undefined) {
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "InvalidUrl",
          cause: new Error(`Invalid URL ${request.url}`)
        })
      )
    }
    return Effect.map(
      await_(
        controller,
        (): Promise<Undici.Dispatcher.ResponseData> =>
          send(dispatcher, {
            method: request.method,
            origin: to.origin,
            path: to.path,
            headers: request.headers,
            body: bodyOf(request.body),
            signal: controller.signal,
            headersTimeout: 60 * 60 * 1000,
            bodyTimeout: 0
          }),
        (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
      ),
      (source) => new UndiciResponse(request, source, controller)
    )
  }
  const client = HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (effect) => Effect.flatMap(effect, (request) => execute(request, new AbortController())),
    Effect.succeed
  )
  return { client, execute }
}
