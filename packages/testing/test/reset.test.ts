import { assert, describe, it } from "@effect/vitest"
import { Fault, MockGateway, Reply } from "@nexos-effect/testing"
import { Effect } from "effect"
import { bounded, chat, json, user } from "./helpers.js"

const request = { model: "m", messages: user("same question") }

const run = (gateway: MockGateway.Service) =>
  Effect.gen(function*() {
    const out: Array<unknown> = []
    const first = yield* chat(gateway, request)
    out.push(first.status)
    yield* json(first)
    const scripted = yield* chat(gateway, request)
    out.push(scripted.headers.get("x-nexos-cache"), (yield* json(scripted)).choices[0].message.content)
    for (let i = 0; i < 2; i++) {
      const generated = yield* chat(gateway, request)
      out.push(generated.headers.get("x-nexos-cache"), generated.headers.get("x-request-id"))
      yield* json(generated)
    }
    const faulted = yield* chat(gateway, request, Fault.header(Fault.failFirst(1, Fault.status(429))))
    out.push(faulted.status)
    yield* json(faulted)
    return out
  })

const expected = [503, "miss", "scripted", "hit", "req_mock_00000003", "hit", "req_mock_00000004", 429]

describe("reset", () => {
  it.scopedLive("POST /_mock/reset and gateway.reset make a rerun behave like the first run", () =>
    bounded(Effect.gen(function*() {
      const gateway = yield* MockGateway.make({
        fault: Fault.failFirst(1, Fault.status(503)),
        script: [Reply.text("scripted")]
      })
      assert.deepStrictEqual(yield* run(gateway), expected)
      const again = yield* chat(gateway, request, Fault.header(Fault.failFirst(1, Fault.status(429))))
      assert.strictEqual(again.status, 200, "the header fault's counter is spent")
      yield* json(again)
      yield* gateway.queueFaults(Fault.status(500))
      yield* gateway.enqueue(Reply.text("left over"))

      const reset = yield* Effect.tryPromise(() =>
        fetch(`${gateway.origin}${MockGateway.resetPath}`, { method: "POST" })
      )
      assert.strictEqual(reset.status, 204)
      assert.deepStrictEqual(yield* gateway.requests, [])
      assert.deepStrictEqual(yield* run(gateway), expected)
      assert.strictEqual((yield* gateway.requests).length, 5)

      yield* gateway.reset
      assert.deepStrictEqual(yield* run(gateway), expected)
      const wrongMethod = yield* Effect.tryPromise(() => fetch(`${gateway.origin}${MockGateway.resetPath}`))
      assert.strictEqual(wrongMethod.status, 405)
    })))
})
