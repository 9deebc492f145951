import { assert, describe, it } from "@effect/vitest"
import { Fault, MockGateway } from "@nexos-effect/testing"
import { Effect } from "effect"
import { bounded, chat, chunksOf, collect, json, parseSse, text, user } from "./helpers.js"

const streamBody = { model: "m", messages: user("tell me"), stream: true, stream_options: { include_usage: true } }
const plainBody = { model: "m", messages: user("tell me") }

describe("status faults", () => {
  it.scopedLive("any status with the gateway's body and retry headers", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, plainBody, {
        ...Fault.header(Fault.combine(Fault.rateLimited({ retryAfter: 2, retryAfterMs: 1500 }), {
          headers: { "x-should-retry": "true" }
        }))
      })
      assert.strictEqual(response.status, 429)
      assert.strictEqual(response.headers.get("retry-after"), "2")
      assert.strictEqual(response.headers.get("retry-after-ms"), "1500")
      assert.strictEqual(response.headers.get("x-should-retry"), "true")
      const body = yield* json(response)
      assert.strictEqual(body.error.type, "rate_limit_error")
      assert.strictEqual(body.error.code, "rate_limit_exceeded")
      const quota = yield* chat(gateway, plainBody, {
        ...Fault.header(Fault.status(429, { body: { error: { message: "quota", code: "insufficient_quota" } } }))
      })
      assert.deepStrictEqual(yield* json(quota), { error: { message: "quota", code: "insufficient_quota" } })
      const edge = yield* chat(gateway, plainBody, { ...Fault.header(Fault.status(403, { body: "error code: 1010" })) })
      assert.strictEqual(edge.status, 403)
      assert.match(edge.headers.get("content-type") ?? "", /^text\/plain/)
      assert.strictEqual(yield* text(edge), "error code: 1010")
      const unicode = yield* chat(gateway, plainBody, {
        ...Fault.header(Fault.status(400, { body: { error: { message: "zażółć 🚫" } } }))
      })
      assert.strictEqual((yield* json(unicode)).error.message, "zażółć 🚫")
      const server = yield* chat(gateway, plainBody, { ...Fault.header(Fault.status(503)) })
      assert.strictEqual((yield* json(server)).error.type, "server_error")
    })))

  it.scopedLive("fail the first N attempts, then succeed (header, setFault and layer options)", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ fault: Fault.failFirst(1, Fault.status(500)) })
      const statuses = (n: number, headers: Record<string, string> = {}) =>
        Effect.forEach(
          Array.from({ length: n }),
          () => Effect.flatMap(chat(gateway, plainBody, headers), (r) => Effect.as(text(r), r.status))
        )
      assert.deepStrictEqual(yield* statuses(3), [500, 200, 200])
      const header = Fault.header(Fault.failFirst(2, Fault.status(503)))
      assert.deepStrictEqual(yield* statuses(4, header), [503, 503, 200, 200])
      yield* gateway.setFault(Fault.failFirst(2, Fault.status(502)))
      assert.deepStrictEqual(yield* statuses(3), [502, 502, 200])
      yield* gateway.setFault(undefined)
      yield* gateway.queueFaults(Fault.status(429), Fault.status(408))
      assert.deepStrictEqual(yield* statuses(3), [429, 408, 200])
    })))

  it.scopedLive("a fault with a path applies only there", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ faults: [{ status: 500, path: "/v1/chat/completions" }] })
      const models = yield* Effect.tryPromise(() =>
        fetch(`${gateway.url}/models`, { headers: { authorization: `Bearer ${gateway.apiKey}` } })
      )
      assert.strictEqual(models.status, 200)
      assert.strictEqual((yield* chat(gateway, plainBody)).status, 500)
      assert.strictEqual((yield* chat(gateway, plainBody)).status, 200)
    })))

  it.scopedLive("an invalid x-mock-fault header is a 400 naming the header", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, plainBody, { "x-mock-fault": JSON.stringify({ status: 42 }) })
      assert.strictEqual(response.status, 400)
      const body = yield* json(response)
      assert.strictEqual(body.error.param, "x-mock-fault")
      const typo = yield* chat(gateway, plainBody, { "x-mock-fault": JSON.stringify({ stallAfterr: 1 }) })
      assert.strictEqual(typo.status, 400)
    })))
})

describe("timing faults", () => {
  it.scopedLive("delayMs waits before the headers", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const started = Date.now()
      const response = yield* chat(gateway, plainBody, { ...Fault.header(Fault.delay(300)) })
      assert.isAtLeast(Date.now() - started, 280)
      assert.strictEqual(response.status, 200)
      yield* text(response)
    })))

  it.scopedLive("dripMs spaces the events", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, { ...streamBody, max_completion_tokens: 4 }, {
        ...Fault.header(Fault.drip(60))
      })
      const collected = yield* collect(response)
      assert.strictEqual(collected.ended, "done")
      const events = parseSse(collected.text)
      assert.strictEqual(events.length, 8)
      assert.isAtLeast(collected.arrivals.length, 5)
      assert.isAtLeast(collected.arrivals[collected.arrivals.length - 1] - collected.arrivals[0], 6 * 60 - 30)
    })))

  it.scopedLive("delays are bounded by maxDelayMs", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ maxDelayMs: 100 })
      const started = Date.now()
      yield* Effect.flatMap(chat(gateway, plainBody, { ...Fault.header(Fault.delay(60_000)) }), text)
      assert.isBelow(Date.now() - started, 2_000)
    })))
})

describe("stream faults", () => {
  it.scopedLive("stallAfter sends K events, keeps the socket open, and notices when the client gives up", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, streamBody, { ...Fault.header(Fault.stall(3)) })
      const collected = yield* collect(response, 300)
      assert.strictEqual(collected.ended, "idle")
      assert.strictEqual(parseSse(collected.text).length, 3)
      const disconnect = yield* gateway.awaitDisconnect
      assert.strictEqual(disconnect.eventsSent, 3)
      assert.strictEqual(disconnect.path, "/v1/chat/completions")
    })))

  it.scopedLive("maxStallMs bounds a stall: the gateway closes the socket", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ maxStallMs: 200 })
      const response = yield* chat(gateway, streamBody, { ...Fault.header(Fault.stall(2)) })
      const collected = yield* collect(response, 3_000)
      assert.strictEqual(collected.ended, "error")
      assert.strictEqual(parseSse(collected.text).length, 2)
      assert.deepStrictEqual(yield* gateway.disconnects, [])
    })))

  it.scopedLive("dropAfter closes the connection after K events", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, streamBody, { ...Fault.header(Fault.drop(4)) })
      assert.strictEqual(response.status, 200)
      const collected = yield* collect(response)
      assert.strictEqual(collected.ended, "error")
      const events = parseSse(collected.text)
      assert.strictEqual(events.length, 4)
      assert.isTrue(events.every((e) => e.data !== "[DONE]"))
      assert.deepStrictEqual(yield* gateway.disconnects, [])
    })))

  it.scopedLive("dropAfter 0 resets before the headers; on JSON, K counts bytes", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const failed = yield* Effect.either(chat(gateway, plainBody, { ...Fault.header(Fault.drop(0)) }))
      assert.strictEqual(failed._tag, "Left")
      const partial = yield* chat(gateway, plainBody, { ...Fault.header(Fault.drop(10)) })
      assert.strictEqual(partial.status, 200)
      const collected = yield* collect(partial)
      assert.strictEqual(collected.ended, "error")
      assert.strictEqual(collected.text, "{\"id\":\"cha")
    })))

  it.scopedLive("stallAfter 0 never sends headers; the client's timeout is seen as a disconnect", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const result = yield* Effect.either(Effect.tryPromise(() =>
        fetch(`${gateway.url}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${gateway.apiKey}`, ...Fault.header(Fault.stall(0)) },
          body: JSON.stringify(plainBody),
          signal: AbortSignal.timeout(200)
        })
      ))
      assert.strictEqual(result._tag, "Left")
      const disconnect = yield* gateway.awaitDisconnect
      assert.strictEqual(disconnect.eventsSent, 0)
    })))

  it.scopedLive("an error frame, with or without event: error, ends the stream without [DONE]", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const plain = parseSse(
        yield* Effect.flatMap(chat(gateway, streamBody, { ...Fault.header(Fault.errorFrame({ after: 2 })) }), text)
      )
      assert.strictEqual(plain.length, 3)
      assert.strictEqual(plain[2].event, undefined)
      assert.deepStrictEqual(JSON.parse(plain[2].data).error.type, "server_error")
      const named = parseSse(
        yield* Effect.flatMap(
          chat(gateway, streamBody, {
            ...Fault.header(
              Fault.errorFrame({ after: 1, event: true, error: { message: "boom", code: 42 }, done: true })
            )
          }),
          text
        )
      )
      assert.deepStrictEqual(named.map((e) => e.event), [undefined, "error", undefined])
      assert.deepStrictEqual(JSON.parse(named[1].data), { error: { message: "boom", code: 42 } })
      assert.strictEqual(named[2].data, "[DONE]")
    })))

  it.scopedLive("a malformed chunk is inserted after K events and the rest still follows", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const events = parseSse(
        yield* Effect.flatMap(chat(gateway, streamBody, { ...Fault.header(Fault.malformed(2)) }), text)
      )
      assert.doesNotThrow(() => JSON.parse(events[1].data))
      assert.throws(() => JSON.parse(events[2].data))
      assert.strictEqual(events[events.length - 1].data, "[DONE]")
    })))

  it.scopedLive("keepAlive sends K events, then only `: ping` comments until the client leaves or maxStallMs", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({ maxStallMs: 400 })
      const silent = yield* chat(gateway, streamBody, { ...Fault.header(Fault.keepAlive(40)) })
      assert.strictEqual(silent.status, 200)
      assert.match(silent.headers.get("content-type") ?? "", /^text\/event-stream/)
      const pings = yield* collect(silent, 3_000)
      assert.strictEqual(pings.ended, "error")
      assert.deepStrictEqual(parseSse(pings.text), [])
      assert.isAtLeast(pings.text.split(": ping\n\n").length - 1, 4)
      assert.strictEqual(pings.text.replaceAll(": ping\n\n", ""), "")
      const afterTwo = yield* chat(gateway, streamBody, { ...Fault.header(Fault.keepAlive(20, 2)) })
      const collected = yield* collect(afterTwo, 3_000)
      const events = parseSse(collected.text)
      assert.strictEqual(events.length, 2)
      assert.isTrue(collected.text.endsWith(": ping\n\n"))
      assert.deepStrictEqual(yield* gateway.disconnects, [])
      const leaving = yield* chat(gateway, streamBody, { ...Fault.header(Fault.keepAlive(300, 1)) })
      const left = yield* collect(leaving, 100)
      assert.strictEqual(left.ended, "idle")
      assert.strictEqual(parseSse(left.text).length, 1)
      assert.strictEqual((yield* gateway.awaitDisconnect).eventsSent, 1)
    })))

  it.scopedLive("noDone ends the stream cleanly without [DONE]", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const response = yield* chat(gateway, streamBody, { ...Fault.header(Fault.noDone) })
      const collected = yield* collect(response)
      assert.strictEqual(collected.ended, "done")
      const events = parseSse(collected.text)
      assert.isTrue(events.every((e) => e.data !== "[DONE]"))
      assert.deepStrictEqual(chunksOf(events).at(-1).choices, [])
    })))
})

describe("clock", () => {
  it.scoped("delays use the real clock even when the test runs under TestClock", () =>
    Effect.gen(function*() {
      const gateway = yield* MockGateway.make()
      const started = Date.now()
      const response = yield* chat(gateway, streamBody, {
        ...Fault.header(Fault.combine(Fault.delay(50), Fault.drip(5)))
      })
      const collected = yield* collect(response)
      assert.strictEqual(collected.ended, "done")
      assert.isAtLeast(Date.now() - started, 50)
    }))
})
