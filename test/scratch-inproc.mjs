import { NodeHttpClient } from "@effect/platform-node"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Effect, Layer, Redacted, Stream } from "effect"
const mode = process.argv[2] ?? "gen"
const n = Number(process.argv[3] ?? 2000)
const body = { id: "chatcmpl-1", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }
const gwOpts = mode === "static" ? { maxRecorded: 20000, respond: () => Reply.json(body) } : { maxRecorded: 20000 }
const layer = Layer.unwrapEffect(Effect.map(MockGateway.MockGateway, (gw) => NexosClient.layer({ apiKey: Redacted.make(gw.apiKey), baseUrl: gw.url }))).pipe(Layer.provide(NodeHttpClient.layerUndici), Layer.provideMerge(MockGateway.layer(gwOpts)))
const program = Effect.gen(function*() {
  const t1 = Date.now(); const c0 = process.cpuUsage()
  const items = Stream.range(0, n - 1).pipe(Stream.map((i) => ({ key: `k${i}`, request: { model: "m", messages: [{ role: "user", content: `p${i}` }] } })))
  yield* Batch.run(items, { concurrency: 64 }).pipe(Stream.runDrain)
  const c = process.cpuUsage(c0)
  console.log(mode, "wall", Date.now() - t1, "cpu/req us", ((c.user + c.system) / n).toFixed(0))
})
await Effect.runPromise(program.pipe(Effect.provide(layer)))
