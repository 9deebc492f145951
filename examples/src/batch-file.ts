/**
 * A JSONL file of prompts with `Batch.runFile`: the input is in the OpenAI batch input format (`custom_id`, `url`,
 * `body`), the results go to a JSONL file in the OpenAI batch output format, and a progress bar is drawn on stderr
 * (in place on a terminal, plain lines otherwise). One input line is malformed on purpose: it becomes an error line
 * naming its line number, and the others run. Running the same file again resumes from the results file: every key
 * is already there, so nothing is sent. Ctrl-C during a run stops it gracefully; the next run does the rest.
 *
 * Run alone: `node examples/dist/batch-file.js`
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import { Batch } from "@nexos-effect/client"
import { Console, Effect } from "effect"
import * as Backend from "./backend.js"

const topics = ["tides", "volcanoes", "honeybees", "glaciers", "comets", "octopuses", "lightning", "coral reefs"]

const inputLines = [
  ...topics.map((topic, i) =>
    JSON.stringify({
      custom_id: `topic-${i + 1}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: Backend.model, messages: [{ role: "user", content: `Explain ${topic} in one sentence.` }] }
    })
  ),
  "{\"custom_id\": \"broken\", \"body\": "
]

interface OutputLine {
  readonly custom_id: string
  readonly response: { readonly status_code: number; readonly body: any } | null
  readonly error: { readonly code: string; readonly message: string } | null
}

export const program = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "nexos-batch-" })
  const input = `${dir}/prompts.jsonl`
  const output = `${dir}/results.jsonl`
  yield* fs.writeFileString(input, inputLines.join("\n") + "\n")

  const first = yield* Batch.runFile(input, output, { concurrency: 4 })
  yield* Console.log(
    `first run: ${first.succeeded} succeeded, ${first.failed} failed, ${first.skipped} skipped of ${first.total}`
  )
  const lines = (yield* fs.readFileString(output)).trim().split("\n").map((l) => JSON.parse(l) as OutputLine)
  for (const line of lines) {
    yield* line.response?.status_code === 200
      ? Console.log(`${line.custom_id}: ${String(line.response.body.choices[0].message.content).slice(0, 90)}`)
      : Console.log(`${line.custom_id}: ERROR ${line.error?.code}: ${line.error?.message}`)
  }

  const again = yield* Batch.runFile(input, output, { progressBar: false })
  yield* Console.log(
    `second run: ${again.skipped} of ${again.total} already in ${output.split("/").pop()}, nothing sent`
  )
  return { first, again, lines }
}).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer))

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
