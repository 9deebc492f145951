import type { MockGateway } from "@nexos-effect/testing"
import { Duration, Effect } from "effect"

export type Gateway = MockGateway.Service

export const authHeaders = (gateway: Gateway): Record<string, string> => ({
  authorization: `Bearer ${gateway.apiKey}`,
  "content-type": "application/json"
})

export const post = (
  gateway: Gateway,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal
) =>
  Effect.tryPromise(() =>
    fetch(`${gateway.url}${path}`, {
      method: "POST",
      headers: { ...authHeaders(gateway), ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...(signal === undefined ? {} : { signal })
    })
  )

export const get = (gateway: Gateway, path: string, headers: Record<string, string> = {}) =>
  Effect.tryPromise(() => fetch(`${gateway.url}${path}`, { headers: { ...authHeaders(gateway), ...headers } }))

export const chat = (gateway: Gateway, body: unknown, headers?: Record<string, string>) =>
  post(gateway, "/chat/completions", body, headers)

export const text = (response: Response) => Effect.tryPromise(() => response.text())

export const json = (response: Response) => Effect.tryPromise(() => response.json() as Promise<any>)

export interface SseEvent {
  readonly event: string | undefined
  readonly data: string
}

export const parseSse = (text: string): Array<SseEvent> => {
  const events: Array<SseEvent> = []
  let event: string | undefined
  let data: Array<string> = []
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (line === "") {
      if (data.length > 0) events.push({ event, data: data.join("\n") })
      event = undefined
      data = []
    } else if (line.startsWith(":")) continue
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""))
    else if (line.startsWith("event:")) event = line.slice(6).trim()
  }
  if (data.length > 0) events.push({ event, data: data.join("\n") })
  return events
}

export const chunksOf = (events: ReadonlyArray<SseEvent>): Array<any> =>
  events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data))

export const user = (content: string) => [{ role: "user", content }]

export const bounded = <A, E, R>(self: Effect.Effect<A, E, R>, duration: Duration.DurationInput = "10 seconds") =>
  Effect.timeoutFail(self, {
    duration,
    onTimeout: () => new Error(`test did not finish within ${Duration.format(duration)}`)
  })

export interface Collected {
  readonly text: string
  readonly arrivals: ReadonlyArray<number>
  readonly ended: "done" | "error" | "idle"
  readonly error: unknown
}

/** Reads a body incrementally until it ends, fails, or nothing arrives for `idleMs`. */
export const collect = (response: Response, idleMs = 1_000) =>
  Effect.promise(async (): Promise<Collected> => {
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    const arrivals: Array<number> = []
    let text = ""
    const started = Date.now()
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const idle = new Promise<"idle">((resolve) => {
        timer = setTimeout(() => resolve("idle"), idleMs)
      })
      try {
        const next = await Promise.race([reader.read(), idle])
        if (next === "idle") {
          await reader.cancel().catch(() => undefined)
          return { text, arrivals, ended: "idle", error: undefined }
        }
        if (next.done) return { text, arrivals, ended: "done", error: undefined }
        text += decoder.decode(next.value, { stream: true })
        arrivals.push(Date.now() - started)
      } catch (error) {
        return { text, arrivals, ended: "error", error }
      } finally {
        clearTimeout(timer)
      }
    }
  })
