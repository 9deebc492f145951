import { assert, describe, it, layer } from "@effect/vitest"
import * as Fault from "@nexos-effect/testing/Fault"
import * as MockGateway from "@nexos-effect/testing/MockGateway"
import * as Reply from "@nexos-effect/testing/Reply"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as Processes from "./support/processes.js"

beforeAll(() => Processes.build(), 120_000)
afterAll(() => Processes.killAll())

const cliPackage = JSON.parse(
  Fs.readFileSync(Path.join(import.meta.dirname, "../package.json"), "utf8")
) as { version: string }

const envOf = (gateway: MockGateway.Service) => ({ NEXOS_API_KEY: gateway.apiKey, NEXOS_BASE_URL: gateway.url })

const tempDir = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "nexos-cli-"))

const keyOf = (body: unknown): string => {
  const content = (body as { messages?: Array<{ content?: unknown }> }).messages?.[0]?.content
  return typeof content === "string" ? content.replace(/^say /, "") : ""
}

const writeInput = (file: string, count: number, bad: (i: number) => boolean = () => false) => {
  const lines: Array<string> = []
  for (let i = 0; i < count; i++) {
    const key = `key-${String(i).padStart(4, "0")}`
    lines.push(JSON.stringify({
      custom_id: key,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: bad(i) ? "no-such-model" : "GPT 4.1 mini", messages: [{ role: "user", content: `say ${key}` }] }
    }))
  }
  Fs.writeFileSync(file, lines.join("\n") + "\n")
}

const outputLines = (
  file: string
): Array<{ custom_id: string; error: unknown; response: { status_code: number } | null }> =>
  Fs.existsSync(file)
    ? Fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l))
    : []

const waitFor = async (condition: () => boolean, ms = 60_000) => {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting")
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("nexos", () => {
  it("--version prints the package's version", { timeout: 120_000 }, async () => {
    const result = await Processes.run(["--version"])
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout, `${cliPackage.version}\n`)
  })

  it("a missing key says exactly what to set, without a stack trace", { timeout: 120_000 }, async () => {
    const result = await Processes.run(["chat", "hello"])
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, "set NEXOS_API_KEY")
    assert.notInclude(result.stderr, "    at ")
    assert.strictEqual(result.stdout, "")
  })
})

const gatewayOptions: MockGateway.Options = { apiKey: "cli-test-key-1234", rejectUnknownModels: true }

layer(MockGateway.layer(gatewayOptions), { timeout: 180_000, excludeTestServices: true })(
  "nexos against the mock",
  (it) => {
    it.effect("chat streams the answer, numbered citations with URLs, usage and credits", () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        yield* gateway.reset
        const result = yield* Effect.promise(() =>
          Processes.run(["chat", "--web-search", "what is effect?"], { env: envOf(gateway) })
        )
        assert.strictEqual(result.code, 0, result.stderr)
        assert.include(result.stdout, "Here is what the web says.")
        assert.include(result.stdout, "You searched for: what is effect?")
        assert.match(
          result.stdout,
          /\n\[1\] Mock result 1 https:\/\/example\.com\/search\/1\?q=what%20is%20effect%3F\n/
        )
        assert.match(result.stdout, /\n\[2\] Mock result 2 https:\/\/example\.com\/search\/2\?q=/)
        assert.notInclude(result.stdout, "\x1b[")
        const requests = yield* gateway.requests
        assert.strictEqual(requests.length, 1)
        const body = requests[0].body as { stream?: boolean; tools?: Array<{ type: string }>; model: string }
        assert.strictEqual(body.stream, true)
        assert.deepStrictEqual(body.tools, [{ type: "web_search" }])
        assert.match(result.stderr, /tokens \d+ in \+ \d+ out = \d+ · credits [0-9.e-]+ · request req_/)
        assert.include(result.stderr, `request ${requests[0].id}`)
      }), 180_000)

    it.effect(
      "chat reads the prompt from stdin; flags reach the request; --no-stream makes one plain request",
      () =>
        Effect.gen(function*() {
          const gateway = yield* MockGateway.MockGateway
          yield* gateway.reset
          const result = yield* Effect.promise(() =>
            Processes.run(
              [
                "chat",
                "--no-stream",
                "--model",
                "Claude Sonnet 4.5",
                "--system",
                "be brief",
                "--temperature",
                "0.2",
                "--max-tokens",
                "50"
              ],
              { env: envOf(gateway), stdin: "hello from stdin\n" }
            )
          )
          assert.strictEqual(result.code, 0, result.stderr)
          assert.include(result.stdout, "You said: hello from stdin")
          const [request] = yield* gateway.requests
          const body = request.body as Record<string, unknown>
          assert.strictEqual(body.model, "Claude Sonnet 4.5")
          assert.strictEqual(body.temperature, 0.2)
          assert.strictEqual(body.max_tokens, 50)
          assert.notStrictEqual(body.stream, true)
          assert.deepStrictEqual(body.messages, [
            { role: "system", content: "be brief" },
            { role: "user", content: "hello from stdin\n" }
          ])
          assert.include(result.stderr, "model Claude Sonnet 4.5")
        }),
      180_000
    )

    it.effect("chat --raw prints the chunks as JSONL", () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        yield* gateway.reset
        const result = yield* Effect.promise(() => Processes.run(["chat", "--raw", "hi"], { env: envOf(gateway) }))
        assert.strictEqual(result.code, 0, result.stderr)
        const chunks = result.stdout.trim().split("\n").map((l) => JSON.parse(l))
        assert.isAbove(chunks.length, 3)
        assert.isTrue(chunks.every((c) => c.object === "chat.completion.chunk"))
        const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")
        assert.include(text, "You said: hi")
      }), 180_000)

    it.effect(
      "a gateway error prints the typed error and the request id, never the key nor a stack trace",
      () =>
        Effect.gen(function*() {
          const gateway = yield* MockGateway.MockGateway
          yield* gateway.reset
          const result = yield* Effect.promise(() =>
            Processes.run(["chat", "hi"], { env: { ...envOf(gateway), NEXOS_API_KEY: "wrong-key-5678" } })
          )
          assert.strictEqual(result.code, 1)
          const [request] = yield* gateway.requests
          assert.include(result.stderr, "AuthenticationError")
          assert.include(result.stderr, `request id ${request.id}`)
          assert.notInclude(result.stderr, "wrong-key-5678")
          assert.notInclude(result.stderr, "    at ")
        }),
      180_000
    )

    it.effect("models prints a table, --json the list", () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        const table = yield* Effect.promise(() => Processes.run(["models"], { env: envOf(gateway) }))
        assert.strictEqual(table.code, 0, table.stderr)
        const rows = table.stdout.trim().split("\n")
        assert.match(rows[0], /^MODEL\s+OWNER\s+CONTEXT\s+MAX OUT\s+IN \$\/M\s+OUT \$\/M\s+TIMEOUT\s+STREAM TIMEOUT$/)
        assert.match(rows[1], /^GPT 4\.1 mini\s+openai\s+\d+/)
        assert.strictEqual(rows.length, 5)
        const json = yield* Effect.promise(() => Processes.run(["models", "--json"], { env: envOf(gateway) }))
        const list = JSON.parse(json.stdout) as { data: Array<{ id: string }> }
        assert.deepStrictEqual(list.data.map((m) => m.id), [
          "GPT 4.1 mini",
          "Claude Sonnet 4.5",
          "Gemini 2.5 Flash",
          "text-embedding-3-small"
        ])
      }), 180_000)

    it.effect(
      "batch of 300 lines with faults: each key once in the output, exit code 1 for the failed keys",
      () =>
        Effect.gen(function*() {
          const gateway = yield* MockGateway.MockGateway
          yield* gateway.reset
          yield* gateway.queueFaults(
            Fault.status(500),
            Fault.rateLimited({ retryAfterMs: 50 }),
            Fault.status(503)
          )
          const dir = tempDir()
          const input = Path.join(dir, "in.jsonl")
          const output = Path.join(dir, "out.jsonl")
          writeInput(input, 300, (i) => i % 50 === 7)
          const result = yield* Effect.promise(() =>
            Processes.run(["batch", input, "-o", output, "--concurrency", "8"], { env: envOf(gateway) })
          )
          assert.strictEqual(result.code, 1, result.stderr)
          const lines = outputLines(output)
          assert.strictEqual(lines.length, 300)
          assert.strictEqual(new Set(lines.map((l) => l.custom_id)).size, 300)
          const failed = lines.filter((l) => l.error !== null || l.response?.status_code !== 200).map((l) =>
            l.custom_id
          )
            .sort()
          assert.deepStrictEqual(failed, ["key-0007", "key-0057", "key-0107", "key-0157", "key-0207", "key-0257"])
          assert.include(result.stderr, "300 of 300 keys done (294 succeeded, 6 failed, 0 already in")
          assert.include(result.stderr, "6 keys failed")
          Fs.rmSync(dir, { recursive: true, force: true })
        }),
      180_000
    )

    it.effect(
      "chat --json-schema sends the file's schema as strict json_schema and prints the checked JSON",
      () =>
        Effect.gen(function*() {
          const gateway = yield* MockGateway.MockGateway
          yield* gateway.reset
          const dir = tempDir()
          const file = Path.join(dir, "person.json")
          const schema = {
            type: "object",
            properties: {
              name: { type: "string" },
              age: { type: ["integer", "null"] },
              role: { type: "string", enum: ["admin", "user"] },
              tags: { type: "array", items: { type: "string" } }
            },
            required: ["name", "age", "role", "tags"],
            additionalProperties: false
          }
          Fs.writeFileSync(file, JSON.stringify(schema))
          const result = yield* Effect.promise(() =>
            Processes.run(["chat", "--json-schema", file, "who is Ada?"], { env: envOf(gateway) })
          )
          assert.strictEqual(result.code, 0, result.stderr)
          const printed = JSON.parse(result.stdout) as Record<string, unknown>
          assert.deepStrictEqual(Object.keys(printed).sort(), ["age", "name", "role", "tags"])
          assert.include(["admin", "user"], printed.role)
          const [request] = yield* gateway.requests
          assert.deepStrictEqual((request.body as { response_format: unknown }).response_format, {
            type: "json_schema",
            json_schema: { name: "person", schema, strict: true }
          })
          yield* gateway.reset
          yield* gateway.enqueue(Reply.text(JSON.stringify({ name: "Ada", age: 36.5, role: "queen", tags: [] })))
          const bad = yield* Effect.promise(() =>
            Processes.run(["chat", "--json-schema", file, "who is Ada?"], { env: envOf(gateway) })
          )
          assert.strictEqual(bad.code, 1)
          assert.strictEqual(bad.stdout, "")
          const [second] = yield* gateway.requests
          assert.include(bad.stderr, `OutputMismatch: The answer does not fit the schema`)
          assert.include(bad.stderr, `request id ${second.id}`)
          assert.include(bad.stderr, "role")
          assert.notInclude(bad.stderr, "    at ")
          Fs.writeFileSync(file, JSON.stringify({ type: "object", properties: { x: { type: "strange" } } }))
          const unsupported = yield* Effect.promise(() =>
            Processes.run(["chat", "--json-schema", file, "hi"], { env: envOf(gateway) })
          )
          assert.strictEqual(unsupported.code, 2)
          assert.include(unsupported.stderr, `--json-schema ${file}: at $.x: unknown type "strange"`)
          Fs.rmSync(dir, { recursive: true, force: true })
        }),
      180_000
    )

    it.effect("files upload, list, get (and --content), rm", () =>
      Effect.gen(function*() {
        const gateway = yield* MockGateway.MockGateway
        const dir = tempDir()
        const file = Path.join(dir, "prompts.jsonl")
        writeInput(file, 20)
        const size = Fs.statSync(file).size
        const env = envOf(gateway)
        const uploaded = yield* Effect.promise(() => Processes.run(["files", "upload", file], { env }))
        assert.strictEqual(uploaded.code, 0, uploaded.stderr)
        const id = uploaded.stdout.trim()
        assert.match(id, /^file-/)
        assert.include(uploaded.stderr, `uploaded prompts.jsonl (${size} bytes, purpose batch)`)
        const listed = yield* Effect.promise(() => Processes.run(["files", "list"], { env }))
        assert.strictEqual(listed.code, 0, listed.stderr)
        assert.match(listed.stdout, /^ID\s+BYTES\s+CREATED\s+PURPOSE\s+FILENAME\n/)
        assert.match(listed.stdout, new RegExp(`\\n${id}\\s+${size}\\s+\\S+Z\\s+batch\\s+prompts\\.jsonl\\n`))
        const got = yield* Effect.promise(() => Processes.run(["files", "get", id], { env }))
        assert.strictEqual(got.code, 0, got.stderr)
        const described = JSON.parse(got.stdout) as { id: string; bytes: number; filename: string }
        assert.deepStrictEqual([described.id, described.bytes, described.filename], [id, size, "prompts.jsonl"])
        const content = yield* Effect.promise(() => Processes.run(["files", "get", "--content", id], { env }))
        assert.strictEqual(content.stdout, Fs.readFileSync(file, "utf8"))
        const removed = yield* Effect.promise(() => Processes.run(["files", "rm", id], { env }))
        assert.strictEqual(removed.code, 0, removed.stderr)
        assert.strictEqual(removed.stdout, `deleted ${id}\n`)
        const missing = yield* Effect.promise(() => Processes.run(["files", "get", id], { env }))
        assert.strictEqual(missing.code, 1)
        assert.include(missing.stderr, "NotFound")
        Fs.rmSync(dir, { recursive: true, force: true })
      }), 180_000)

    it.effect(
      "batch --remote: interrupted after the batch is created, re-attached by its id; each key once, one batch",
      () =>
        Effect.gen(function*() {
          const gateway = yield* MockGateway.MockGateway
          yield* gateway.reset
          const dir = tempDir()
          const input = Path.join(dir, "in.jsonl")
          const output = Path.join(dir, "out.jsonl")
          writeInput(input, 40, (i) => i === 13)
          Fs.appendFileSync(input, "not json\n")
          const first = Processes.start(["batch", input, "-o", output, "--remote", "--poll-every", "30"], {
            env: envOf(gateway)
          })
          yield* Effect.promise(() => waitFor(() => /batch \S+ created/.test(first.stderr())))
          first.signal("SIGINT")
          const stopped = yield* Effect.promise(() => first.finished)
          assert.strictEqual(stopped.code, 130, stopped.stderr)
          const batchId = /batch (\S+) created/.exec(stopped.stderr)![1]
          const reattach = `nexos batch ${input} -o ${output} --remote --batch-id ${batchId}`
          assert.include(
            stopped.stderr,
            `interrupted: batch ${batchId} keeps running on the gateway; re-attach with: ${reattach}`
          )
          assert.deepStrictEqual(outputLines(output).map((l) => l.custom_id), ["line-41"])
          const second = yield* Effect.promise(() =>
            Processes.run([...reattach.split(" ").slice(1), "--poll-every", "0.05"], { env: envOf(gateway) })
          )
          assert.strictEqual(second.code, 1, second.stderr)
          assert.include(second.stderr, "41 of 41 keys done (39 succeeded, 1 failed, 1 already in")
          const lines = outputLines(output)
          assert.strictEqual(lines.length, 41)
          assert.strictEqual(new Set(lines.map((l) => l.custom_id)).size, 41)
          const failed = lines.filter((l) => l.error !== null || l.response?.status_code !== 200).map((l) =>
            l.custom_id
          ).sort()
          assert.deepStrictEqual(failed, ["key-0013", "line-41"])
          const created = (yield* gateway.requests).filter((r) => r.method === "POST" && r.path === "/v1/batches")
          assert.strictEqual(created.length, 1)
          Fs.rmSync(dir, { recursive: true, force: true })
        }),
      180_000
    )

    it.effect(
      "under a pseudo-terminal: the progress bar redraws in place; chat is a conversation (Ctrl-C stops an answer)",
      () =>
        Effect.gen(function*() {
          const gateway = yield* MockGateway.MockGateway
          yield* gateway.reset
          const dir = tempDir()
          const input = Path.join(dir, "in.jsonl")
          const output = Path.join(dir, "out.jsonl")
          writeInput(input, 60)
          yield* gateway.setFault(Fault.delay(40))
          const bar = yield* Effect.promise(() =>
            Processes.run([], {
              env: envOf(gateway),
              command: [
                "script",
                "-qfec",
                `stty cols 90; ${Processes.commandLine(["batch", input, "-o", output, "--concurrency", "2"])}`,
                "/dev/null"
              ]
            })
          )
          yield* gateway.setFault(undefined)
          assert.strictEqual(bar.code, 0, bar.stdout)
          const redraws = bar.stdout.split("\r").filter((part) => part.startsWith(`${input} `))
          assert.isAbove(redraws.length, 3, bar.stdout)
          assert.include(bar.stdout, "\x1b[K")
          assert.isTrue(redraws.every((part) => part.split("\x1b[K")[0].length <= 90), bar.stdout)
          assert.include(bar.stdout, "60 of 60 keys done")
          assert.strictEqual(outputLines(output).length, 60)

          yield* gateway.reset
          const chat = Processes.start([], {
            env: envOf(gateway),
            keepStdinOpen: true,
            command: ["script", "-qfec", Processes.commandLine(["chat"]), "/dev/null"]
          })
          const waitOutput = (pattern: RegExp) => Effect.promise(() => waitFor(() => pattern.test(chat.stdout())))
          yield* waitOutput(/> /)
          chat.write("first question\r")
          yield* waitOutput(/You said: first question/)
          yield* gateway.setFault(Fault.delay(20_000))
          chat.write("a slow one\r")
          yield* gateway.awaitRequests(2)
          chat.write("\x03")
          yield* waitOutput(/\(stopped\)/)
          yield* gateway.setFault(undefined)
          chat.write("second question\r")
          yield* waitOutput(/You said: second question/)
          chat.write("\x04")
          const ended = yield* Effect.promise(() => chat.finished)
          assert.strictEqual(ended.code, 0, ended.stdout)
          const requests = yield* gateway.requests
          const chats = requests.filter((r) => r.path === "/v1/chat/completions")
          assert.strictEqual(chats.length, 3)
          const messages = (chats[2].body as { messages: Array<{ role: string; content: string }> }).messages
          assert.deepStrictEqual(messages.map((m) => m.role), ["user", "assistant", "user"])
          assert.strictEqual(messages[0].content, "first question")
          assert.include(messages[1].content, "You said: first question")
          assert.strictEqual(messages[2].content, "second question")
          Fs.rmSync(dir, { recursive: true, force: true })
        }),
      180_000
    )

    it.effect(
      "an interrupted batch (SIGINT) says how to resume; the resumed run sends no finished key again",
      () =>
        Effect.gen(function*() {
          const gateway = yield* MockGateway.MockGateway
          yield* gateway.reset
          yield* gateway.setFault(Fault.delay(60))
          const dir = tempDir()
          const input = Path.join(dir, "in.jsonl")
          const output = Path.join(dir, "out.jsonl")
          writeInput(input, 200)
          const first = Processes.start(["batch", input, "-o", output, "--concurrency", "4"], { env: envOf(gateway) })
          yield* Effect.promise(() => waitFor(() => outputLines(output).length >= 20))
          first.signal("SIGINT")
          const stopped = yield* Effect.promise(() => first.finished)
          assert.strictEqual(stopped.code, 130, stopped.stderr)
          const done = outputLines(output)
          assert.isBelow(done.length, 200)
          assert.include(stopped.stderr, `${done.length} of 200 keys done`)
          assert.include(
            stopped.stderr,
            `interrupted: ${200 - done.length} keys not done; resume with the same command`
          )
          const doneKeys = new Set(done.map((l) => l.custom_id))
          assert.strictEqual(doneKeys.size, done.length)
          yield* gateway.setFault(undefined)
          yield* gateway.reset
          const second = yield* Effect.promise(() =>
            Processes.run(["batch", input, "-o", output], { env: envOf(gateway) })
          )
          assert.strictEqual(second.code, 0, second.stderr)
          const sent = (yield* gateway.requests).map((r) => keyOf(r.body))
          assert.strictEqual(sent.length, 200 - done.length)
          assert.isTrue(sent.every((key) => !doneKeys.has(key)))
          const all = outputLines(output)
          assert.strictEqual(all.length, 200)
          assert.strictEqual(new Set(all.map((l) => l.custom_id)).size, 200)
          Fs.rmSync(dir, { recursive: true, force: true })
        }),
      180_000
    )
  }
)
