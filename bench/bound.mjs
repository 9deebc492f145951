import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as RetryPolicy from "@nexos-effect/client/RetryPolicy"
import * as undici from "undici"
const [port, C, N, which] = process.argv.slice(2).map((x, i) => i < 3 ? Number(x) : x)
const url = `http://127.0.0.1:${port}/v1/chat/completions`
const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "What is the weather" }], temperature: 0.2 }
const rt = ManagedRuntime.make(NexosClient.layer({ apiKey: Redacted.make("k"), baseUrl: `http://127.0.0.1:${port}/v1`, retry: RetryPolicy.none }).pipe(Layer.provideMerge(NodeHttpClient.layerUndici)))
const svc = await rt.runPromise(NexosClient.NexosClient)
const client = HttpClient.withTracerDisabledWhen(await rt.runPromise(HttpClient.HttpClient), () => true)
const run = async (f) => { let i = 0; const worker = async () => { while (i++ < N) await f() }; const t0 = performance.now(); await Promise.all(Array.from({ length: C }, worker)); return N / (performance.now() - t0) * 1000 }
const effectRun = async (eff) => { const t0 = performance.now(); await rt.runPromise(Effect.forEach(Array.from({ length: N }), () => eff, { concurrency: C, discard: true })); return N / (performance.now() - t0) * 1000 }
const v = {
  raw: () => run(async () => { const r = await undici.request(url, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer k" }, body: JSON.stringify(body) }); JSON.parse(await r.body.text()) }),
  effectBare: () => effectRun(Effect.flatMap(client.execute(HttpClientRequest.bodyText(HttpClientRequest.post(url), JSON.stringify(body), "application/json")), (r) => Effect.map(r.text, JSON.parse))),
  create: () => effectRun(svc.chat.completions.create(body)),
}
await v[which](); console.log(which, C, Math.round(await v[which]()), "req/s")
await rt.dispose()
