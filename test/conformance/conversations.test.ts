import { assert, describe, it } from "@effect/vitest"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Either, pipe, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

// Every real-world completion, sent back as the assistant turn of the next request (with a result for each of its
// tool calls): the request validates exactly when the raw message holds something the API accepts back, and what
// is sent holds only what the API accepts. Expectations are derived from the raw JSON of each capture.

type Json = any

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const dir = path.resolve(root, "test/fixtures/real-world/completions")
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
const bodyOf = (file: string): Json => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")).body
const decode = Schema.decodeUnknownSync(ChatCompletion.ChatCompletion)

const R = ChatCompletionRequest
const accepted = new Set(["role", "content", "refusal", "tool_calls", "function_call", "audio"])

const sendable = (raw: Json): boolean => {
  const calls: Array<Json> = raw.tool_calls ?? []
  const content = raw.content
  const hasContent = typeof content === "string" ||
    Array.isArray(content) && content.some((p: Json) => p?.type === "text" && typeof p.text === "string")
  return hasContent || calls.length > 0 || raw.refusal != null || raw.function_call != null ||
    typeof raw.audio?.id === "string"
}

describe("real-world completions continue a conversation", () => {
  it("there are fixtures", () => assert.isAtLeast(files.length, 15))

  for (const file of files) {
    it(file, () => {
      const body = bodyOf(file)
      const completion = decode(body)
      for (const choice of body.choices as Array<Json>) {
        const raw = choice.message ?? {}
        const calls = ChatCompletion.toolCalls({
          ...completion,
          choices: completion.choices.filter((c) => c.index === (choice.index ?? 0))
        })
        const request = calls.reduce(
          (r, call) => R.addToolResult(r, call, { ok: true }),
          pipe(R.make("m"), R.addText("question"), R.addResponse(completion, choice.index ?? 0))
        )
        const sent = request.messages[1] as Record<string, unknown>
        assert.strictEqual(sent["role"], "assistant")
        for (const key of Object.keys(sent)) assert.isTrue(accepted.has(key), `${file}: ${key} is sent back`)
        if (typeof raw.content === "string" && (raw.content !== "" || calls.length === 0)) {
          assert.strictEqual(sent["content"], raw.content)
        }
        assert.deepStrictEqual(
          (sent["tool_calls"] as Array<Json> | undefined)?.map((c) => [c.id, c.function.name]) ?? [],
          (raw.tool_calls ?? []).map((c: Json) => [c.id ?? "", c.function?.name ?? ""])
        )
        const result = R.validate(pipe(request, R.addText("next")))
        const idsOk = calls.every((call) => call.id !== "")
        if (sendable(raw) && idsOk) {
          assert.isTrue(Either.isRight(result), Either.isLeft(result) ? `${file}: ${R.formatIssues(result.left)}` : "")
        } else {
          assert.isTrue(Either.isLeft(result), `${file}: expected to be rejected`)
          if (Either.isLeft(result)) {
            for (const issue of result.left) assert.match(issue.path, /^messages\[[1-9]\d*\]/, file)
          }
        }
      }
    })
  }
})
