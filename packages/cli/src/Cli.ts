/**
 * The `nexos` command line: `chat`, `batch`, `models`, `mock`, thin on top of `@nexos-effect/client` (every
 * behaviour is the library's; this module parses flags and prints).
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import type * as NexosError from "@nexos-effect/client/NexosError"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as StrictSchema from "@nexos-effect/client/StrictSchema"
import * as StructuredOutput from "@nexos-effect/client/StructuredOutput"
import * as Upload from "@nexos-effect/client/Upload"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Usage from "@nexos-effect/schema/Usage"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as JsonSchema from "./internal/jsonSchema.js"
import * as Output from "./internal/output.js"
import * as Repl from "./internal/repl.js"
import * as Signals from "./internal/signals.js"

/**
 * The CLI's version (`nexos --version`).
 *
 * @since 0.1.0
 * @category constants
 */
export const version = "0.1.0"

/**
 * The model `nexos chat` uses without `--model` or `NEXOS_MODEL`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultModel = "GPT 4.1 mini"

/**
 * A failure the CLI reports itself: its message is printed as it is and the process exits with `exitCode`.
 *
 * @since 0.1.0
 * @category errors
 */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string; readonly exitCode: number }> {}

/**
 * What to set when no API key is configured.
 *
 * @since 0.1.0
 * @category constants
 */
export const missingKeyMessage = "no API key: set NEXOS_API_KEY to your nexos.ai API key (or pass --api-key KEY). " +
  "Against `nexos mock`: NEXOS_API_KEY=nexos-mock-key NEXOS_BASE_URL=http://127.0.0.1:8787/v1"

const apiKeyOption = Options.redacted("api-key").pipe(
  Options.withDescription("the nexos.ai API key (default: $NEXOS_API_KEY)"),
  Options.optional
)
const baseUrlOption = Options.text("base-url").pipe(
  Options.withDescription(`the gateway's base URL (default: $NEXOS_BASE_URL, else ${NexosClient.defaultBaseUrl})`),
  Options.optional
)
const connection = { apiKey: apiKeyOption, baseUrl: baseUrlOption }

interface Connection {
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly baseUrl: Option.Option<string>
}

const nonEmpty = <A>(value: Option.Option<A>, text: (a: A) => string): Option.Option<A> =>
  Option.filter(value, (a) => text(a).trim() !== "")

const clientLayer = (options: Connection): Layer.Layer<NexosClient.NexosClient, CliError> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const fromEnv = yield* Effect.orDie(Config.option(Config.redacted("NEXOS_API_KEY")))
    const apiKey = Option.orElse(nonEmpty(options.apiKey, Redacted.value), () => nonEmpty(fromEnv, Redacted.value))
    if (Option.isNone(apiKey)) return yield* new CliError({ message: missingKeyMessage, exitCode: 2 })
    const baseUrlEnv = yield* Effect.orDie(Config.option(Config.string("NEXOS_BASE_URL")))
    const baseUrl = Option.orElse(nonEmpty(options.baseUrl, String), () => nonEmpty(baseUrlEnv, String))
    return NexosClient.layerUndici({
      apiKey: apiKey.value,
      ...(Option.isSome(baseUrl) ? { baseUrl: baseUrl.value } : {})
    }).pipe(Layer.orDie)
  }))

const readStdin: Effect.Effect<string> = Effect.promise(async () => {
  const chunks: Array<Buffer> = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks).toString("utf8")
})

const setExitCode = (code: number) =>
  Effect.sync(() => {
    if ((process.exitCode ?? 0) === 0) process.exitCode = code
  })

type AnswerMode =
  | { readonly _tag: "Streamed"; readonly reasoning: boolean }
  | { readonly _tag: "Whole"; readonly reasoning: boolean }
  | { readonly _tag: "Raw" }
  | { readonly _tag: "Structured"; readonly strict: StrictSchema.StrictSchema<unknown, unknown> }

interface Structured {
  readonly format: StrictSchema.JsonSchemaFormat
  readonly strict: StrictSchema.StrictSchema<unknown, unknown>
}

const loadJsonSchema = (path: string): Effect.Effect<Structured, CliError> =>
  Effect.gen(function*() {
    const bad = (why: string) => new CliError({ message: `--json-schema ${path}: ${why}`, exitCode: 2 })
    const text = yield* Effect.try({
      try: () => Fs.readFileSync(path, "utf8"),
      catch: (e) => bad(`cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
    })
    const schema = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (e) => bad(`not JSON (${(e as Error).message})`)
    })
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      return yield* bad("expected a JSON Schema object")
    }
    const root = schema as Record<string, unknown>
    if (root.type !== "object") {
      return yield* bad("strict structured output needs an object at the root (\"type\": \"object\")")
    }
    const converted = yield* Effect.try({
      try: () => JsonSchema.toSchema(root),
      catch: (e) => e instanceof JsonSchema.Unsupported ? bad(`at ${e.path}: ${e.reason}`) : bad(String(e))
    })
    const strict = yield* Either.match(StrictSchema.make(converted), {
      onLeft: (e) => Effect.fail(bad(e.message)),
      onRight: Effect.succeed
    })
    const title = typeof root.title === "string" ? root.title : Path.basename(path).replace(/\.[^.]*$/, "")
    const name = title.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "response"
    return {
      strict: strict as StrictSchema.StrictSchema<unknown, unknown>,
      format: {
        type: "json_schema",
        json_schema: {
          name,
          ...(typeof root.description === "string" ? { description: root.description } : {}),
          schema: root,
          strict: true
        }
      }
    }
  })

const citationsOf = (completion: ChatCompletion.ChatCompletion): ReadonlyArray<Output.Footnote> =>
  (completion.choices[0]?.message?.annotations ?? []).flatMap((a) =>
    a.type === "url_citation" && a.url_citation?.url !== undefined
      ? [{ url: a.url_citation.url, title: a.url_citation.title }]
      : []
  )

const answer = (
  request: ChatCompletionRequest.ChatCompletionRequest,
  mode: AnswerMode,
  shown: { text: string }
): Effect.Effect<void, NexosError.NexosError | CliError, NexosClient.NexosClient> =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const out = Output.stdout()
    const err = Output.stderr()
    const finish = (
      citations: ReadonlyArray<Output.Footnote>,
      usage: Usage.Usage | undefined,
      requestId: string | undefined,
      answeredBy: string
    ) =>
      Effect.sync(() => {
        if (!shown.text.endsWith("\n")) out.write("\n")
        out.write(Output.renderFootnotes(out, Output.footnotes(citations)))
        err.write(Output.dim(err, Output.usageLine(usage, requestId, answeredBy)) + "\n")
      })
    switch (mode._tag) {
      case "Raw":
        return yield* client.chat.completions.streamChunks(request).pipe(
          Stream.runForEach((chunk) =>
            Effect.sync(() => {
              shown.text += chunk.choices[0]?.delta?.content ?? ""
              out.write(JSON.stringify(chunk) + "\n")
            })
          )
        )
      case "Structured": {
        const { completion, meta } = yield* client.chat.completions.createWithMeta(request)
        const decoded = StructuredOutput.decodeCompletion(completion, mode.strict)
        if (Either.isLeft(decoded)) {
          const e = decoded.left
          const issues = e._tag === "OutputMismatch"
            ? e.issues.slice(0, 5).map((i) => `\n  ${i.path}: ${i.message}`).join("")
            : ""
          return yield* new CliError({
            message: `${e._tag}: ${e.message}${
              meta.requestId === undefined ? "" : ` [request id ${meta.requestId}]`
            }${issues}`,
            exitCode: 1
          })
        }
        shown.text = JSON.stringify(JSON.parse(ChatCompletion.text(completion)), null, 2) + "\n"
        out.write(shown.text)
        return yield* finish([], completion.usage ?? undefined, meta.requestId, completion.model)
      }
      case "Whole": {
        const { completion, meta } = yield* client.chat.completions.createWithMeta(request)
        const thinking = ChatCompletion.reasoning(completion)
        if (mode.reasoning && thinking !== "") err.write(Output.dim(err, thinking) + "\n")
        shown.text = ChatCompletion.text(completion)
        out.write(shown.text)
        return yield* finish(citationsOf(completion), completion.usage ?? undefined, meta.requestId, completion.model)
      }
      case "Streamed": {
        const citations: Array<Output.Footnote> = []
        let reasoning = false
        return yield* client.chat.completions.streamWithCompletion(request).pipe(
          Stream.runForEach((event) =>
            Effect.gen(function*() {
              switch (event._tag) {
                case "ReasoningDelta":
                  if (mode.reasoning && event.choice === 0) {
                    reasoning = true
                    err.write(Output.dim(err, event.delta))
                  }
                  return
                case "TextDelta":
                  if (event.choice === 0) {
                    if (reasoning) {
                      reasoning = false
                      err.write("\n")
                    }
                    shown.text += event.delta
                    out.write(event.delta)
                  }
                  return
                case "Citation":
                  if (event.choice === 0) citations.push({ url: event.url, title: event.title })
                  return
                case "Completed": {
                  const requestId = event.meta?.requestId ?? Option.getOrUndefined(
                    Option.flatMap(ResponseMeta.get(event.completion), (m) => Option.fromNullable(m.requestId))
                  )
                  return yield* finish(
                    citations,
                    event.completion.usage ?? undefined,
                    requestId,
                    event.completion.model
                  )
                }
                default:
                  return
              }
            })
          ),
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              if (shown.text !== "" && !shown.text.endsWith("\n")) out.write("\n")
            })
          )
        )
      }
    }
  })

const chatCommand = Command.make("chat", {
  ...connection,
  prompt: Args.text({ name: "prompt" }).pipe(
    Args.withDescription("the question (default: stdin when it is piped; a conversation on a terminal)"),
    Args.optional
  ),
  model: Options.text("model").pipe(
    Options.withAlias("m"),
    Options.withDescription(`the model (default: $NEXOS_MODEL, else "${defaultModel}")`),
    Options.optional
  ),
  system: Options.text("system").pipe(Options.withDescription("a system message"), Options.optional),
  temperature: Options.float("temperature").pipe(Options.optional),
  maxTokens: Options.integer("max-tokens").pipe(Options.optional),
  webSearch: Options.boolean("web-search").pipe(Options.withDescription("let the model search the web")),
  jsonSchema: Options.file("json-schema", { exists: "yes" }).pipe(
    Options.withDescription("a JSON Schema file: the answer is JSON that follows it (strict structured output)"),
    Options.optional
  ),
  raw: Options.boolean("raw").pipe(Options.withDescription("print the streamed chunks as JSONL")),
  noStream: Options.boolean("no-stream").pipe(Options.withDescription("one request, the whole answer at once")),
  noReasoning: Options.boolean("no-reasoning").pipe(Options.withDescription("hide the model's reasoning"))
}, (args) =>
  Effect.gen(function*() {
    const interactive = Option.isNone(args.prompt) && process.stdin.isTTY === true
    const prompt = Option.isSome(args.prompt) ? args.prompt.value : interactive ? "" : yield* readStdin
    if (!interactive && prompt.trim() === "") {
      return yield* new CliError({ message: "the prompt is empty", exitCode: 2 })
    }
    const modelEnv = yield* Effect.orDie(Config.option(Config.string("NEXOS_MODEL")))
    const model = Option.getOrElse(Option.orElse(args.model, () => nonEmpty(modelEnv, String)), () => defaultModel)
    const structured = Option.isSome(args.jsonSchema)
      ? Option.some(yield* loadJsonSchema(args.jsonSchema.value))
      : Option.none()
    const history: Array<ChatCompletionRequest.Message> = []
    if (Option.isSome(args.system)) history.push({ role: "system", content: args.system.value })
    const requestOf = (
      messages: ReadonlyArray<ChatCompletionRequest.Message>
    ): ChatCompletionRequest.ChatCompletionRequest => ({
      model,
      messages,
      ...(Option.isSome(args.temperature) ? { temperature: args.temperature.value } : {}),
      ...(Option.isSome(args.maxTokens) ? { max_tokens: args.maxTokens.value } : {}),
      ...(args.webSearch ? { tools: [{ type: "web_search" as const }] } : {}),
      ...(Option.isSome(structured) ? { response_format: structured.value.format } : {})
    })
    const mode: AnswerMode = Option.isSome(structured)
      ? { _tag: "Structured", strict: structured.value.strict }
      : args.raw
      ? { _tag: "Raw" }
      : args.noStream
      ? { _tag: "Whole", reasoning: !args.noReasoning }
      : { _tag: "Streamed", reasoning: !args.noReasoning }
    if (!interactive) {
      return yield* answer(requestOf([...history, { role: "user", content: prompt }]), mode, { text: "" })
    }
    const client = yield* NexosClient.NexosClient
    const err = Output.stderr()
    err.write(
      Output.dim(err, `nexos chat · model ${model} · Ctrl-C stops an answer · Ctrl-D or /exit ends the session`) + "\n"
    )
    yield* Repl.run({
      prompt: Output.bold(Output.stdout(), "> "),
      answer: (line, shown) =>
        Effect.suspend(() => {
          history.push({ role: "user", content: line })
          return Effect.provideService(answer(requestOf(history), mode, shown), NexosClient.NexosClient, client)
        }),
      after: (exit, shown) =>
        Effect.sync(() => {
          if (Exit.isSuccess(exit)) {
            history.push({ role: "assistant", content: shown.text })
          } else if (Cause.isInterruptedOnly(exit.cause)) {
            err.write(Output.dim(err, "(stopped)") + "\n")
            if (shown.text === "") history.pop()
            else history.push({ role: "assistant", content: shown.text })
          } else {
            history.pop()
            err.write(`nexos: ${Output.red(err, Output.describeError(Cause.squash(exit.cause)))}\n`)
          }
        })
    })
  }).pipe(Effect.provide(clientLayer(args)))).pipe(
    Command.withDescription(
      "ask a model; the answer streams as it is written, with citations and usage; " +
        "without a prompt on a terminal, a conversation"
    )
  )

const modelsCommand = Command.make("models", {
  ...connection,
  json: Options.boolean("json").pipe(Options.withDescription("the gateway's JSON as it is"))
}, (args) =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const list = yield* client.models.list()
    const out = Output.stdout()
    out.write(args.json ? JSON.stringify(list, null, 2) + "\n" : Output.modelsTable(list, out.columns))
  }).pipe(Effect.provide(clientLayer(args)))).pipe(
    Command.withDescription("the models enabled for the key: context length, pricing, timeouts")
  )

interface RemoteArgs {
  readonly input: string
  readonly output: string
  readonly batchId: Option.Option<string>
  readonly pollEvery: number
}

const remoteBatch = (args: RemoteArgs) =>
  Effect.gen(function*() {
    if (!(args.pollEvery > 0)) return yield* new CliError({ message: "--poll-every must be above 0", exitCode: 2 })
    const stop = yield* Signals.gracefulStop
    const err = Output.stderr()
    const store = yield* Batch.makeStoreJsonl(args.output)
    const lines = yield* Stream.runCollect(Batch.readInput(args.input))
    const rejected = Chunk.filter(lines, (line) => line.rejected !== undefined)
    const recorded = yield* store.lookup(Chunk.toReadonlyArray(Chunk.map(rejected, (line) => line.key)))
    const newlyRejected = Chunk.toReadonlyArray(rejected).filter((line) => !recorded.has(line.key))
    if (newlyRejected.length > 0) {
      yield* store.record(newlyRejected.map((line) => ({
        key: line.key,
        index: line.index,
        attempts: 0,
        outcome: { _tag: "Failed" as const, error: line.rejected! }
      })))
    }
    const items = Stream.fromIterable(lines).pipe(
      Stream.filterMap((line) =>
        line.request === undefined ? Option.none() : Option.some({ key: line.key, request: line.request })
      )
    )
    const valid = lines.length - rejected.length
    let batchId = Option.getOrUndefined(args.batchId)
    const reattach = (id: string) => `nexos batch ${args.input} -o ${args.output} --remote --batch-id ${id}`
    const progress = yield* Batch.makeProgress
    const bar = yield* Effect.forkScoped(Batch.progressBar(progress, {
      label: args.input,
      output: { write: err.write, isTTY: err.isTTY, columns: err.columns }
    }))
    const summary = yield* Batch.runRemote(items, {
      ...(batchId === undefined ? {} : { batchId }),
      total: valid,
      progress,
      poll: Schedule.spaced(Duration.seconds(args.pollEvery)),
      onCreated: (batch) =>
        Effect.sync(() => {
          batchId = batch.id
          err.write(`batch ${batch.id} created on the gateway\n`)
        })
    }).pipe(
      Stream.provideService(Batch.Store, store),
      Stream.interruptWhen(stop),
      Stream.runFold(
        { succeeded: 0, failed: newlyRejected.length, skipped: rejected.length - newlyRejected.length, notDone: 0 },
        (s, result) => {
          switch (result.outcome._tag) {
            case "Succeeded":
              return { ...s, succeeded: s.succeeded + 1 }
            case "Failed":
              return { ...s, failed: s.failed + 1 }
            case "Skipped":
              return { ...s, skipped: s.skipped + 1 }
            case "NotDone":
              return { ...s, notDone: s.notDone + 1 }
          }
        }
      )
    )
    yield* Fiber.interrupt(bar)
    if (err.isTTY) err.write("\n")
    const done = summary.succeeded + summary.failed + summary.skipped
    err.write(
      `${done} of ${lines.length} keys done (${summary.succeeded} succeeded, ${summary.failed} failed, ` +
        `${summary.skipped} already in ${args.output})\n`
    )
    if (Signals.stopWasRequested()) {
      err.write(
        batchId === undefined
          ? `interrupted before the batch was created; run the same command again\n`
          : `interrupted: batch ${batchId} keeps running on the gateway; re-attach with: ${reattach(batchId)}\n`
      )
      yield* setExitCode(130)
    } else if (done < lines.length) {
      err.write(
        `${lines.length - done} keys not done (the batch ended before them); ` +
          `run the same command without --batch-id to send them in a new batch\n`
      )
      yield* setExitCode(1)
    }
    if (summary.failed > 0) {
      err.write(`${summary.failed} keys failed: their error lines are in ${args.output}\n`)
      yield* setExitCode(1)
    }
  }).pipe(Effect.scoped)

const filesUpload = Command.make("upload", {
  ...connection,
  path: Args.file({ name: "FILE", exists: "yes" }),
  purpose: Options.text("purpose").pipe(Options.withDescription("the file's purpose"), Options.withDefault("batch"))
}, (args) =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const file = yield* client.files.upload(Upload.fromPath(args.path), { purpose: args.purpose })
    Output.stdout().write(`${file.id}\n`)
    const err = Output.stderr()
    err.write(
      Output.dim(
        err,
        `uploaded ${file.filename ?? args.path} (${file.bytes ?? "?"} bytes, purpose ${file.purpose ?? args.purpose})`
      ) + "\n"
    )
  }).pipe(Effect.provide(clientLayer(args)))).pipe(
    Command.withDescription("upload a file (streamed from disk); prints its id")
  )

const filesList = Command.make("list", {
  ...connection,
  purpose: Options.text("purpose").pipe(Options.withDescription("only files of this purpose"), Options.optional),
  json: Options.boolean("json").pipe(Options.withDescription("one JSON object per line"))
}, (args) =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const out = Output.stdout()
    const files = yield* Stream.runCollect(
      client.files.list(Option.isSome(args.purpose) ? { purpose: args.purpose.value } : {})
    )
    out.write(
      args.json
        ? Chunk.toReadonlyArray(files).map((f) => JSON.stringify(f) + "\n").join("")
        : Output.filesTable(Chunk.toReadonlyArray(files), out.columns)
    )
  }).pipe(Effect.provide(clientLayer(args)))).pipe(Command.withDescription("the files on the gateway"))

const filesGet = Command.make("get", {
  ...connection,
  id: Args.text({ name: "FILE_ID" }),
  content: Options.boolean("content").pipe(Options.withDescription("print the file's bytes instead"))
}, (args) =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    if (args.content) {
      return yield* client.files.content(args.id).pipe(
        Stream.runForEach((bytes) =>
          Effect.async<void>((resume) => {
            process.stdout.write(bytes, () => resume(Effect.void))
          })
        )
      )
    }
    const file = yield* client.files.get(args.id)
    Output.stdout().write(JSON.stringify(file, null, 2) + "\n")
  }).pipe(Effect.provide(clientLayer(args)))).pipe(
    Command.withDescription("a file's description as JSON (--content: its bytes)")
  )

const filesRm = Command.make("rm", {
  ...connection,
  id: Args.text({ name: "FILE_ID" })
}, (args) =>
  Effect.gen(function*() {
    const client = yield* NexosClient.NexosClient
    const deleted = yield* client.files.delete(args.id)
    Output.stdout().write(
      `${deleted.deleted ? "deleted" : "not deleted"} ${deleted.id === "" ? args.id : deleted.id}\n`
    )
    if (!deleted.deleted) yield* setExitCode(1)
  }).pipe(Effect.provide(clientLayer(args)))).pipe(Command.withDescription("delete a file"))

const filesCommand = Command.make("files").pipe(
  Command.withDescription("the gateway's files (Batch API input and output): upload, list, get, rm"),
  Command.withSubcommands([filesUpload, filesList, filesGet, filesRm])
)

const batchCommand = Command.make("batch", {
  ...connection,
  input: Args.file({ name: "INPUT.jsonl", exists: "yes" }),
  output: Options.file("output").pipe(Options.withAlias("o"), Options.withDescription("the results (JSONL)")),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription("requests in flight (default 16)"),
    Options.optional
  ),
  rpm: Options.integer("rpm").pipe(Options.withDescription("requests per minute at most"), Options.optional),
  tpm: Options.integer("tpm").pipe(Options.withDescription("tokens per minute at most"), Options.optional),
  maxCredits: Options.float("max-credits").pipe(
    Options.withDescription("stop starting requests once this many credits are spent"),
    Options.optional
  ),
  remote: Options.boolean("remote").pipe(
    Options.withDescription("run it on the gateway's Batch API (upload, create, poll, read the results back)")
  ),
  batchId: Options.text("batch-id").pipe(
    Options.withDescription("with --remote: re-attach to this batch instead of creating one"),
    Options.optional
  ),
  pollEvery: Options.float("poll-every").pipe(
    Options.withDescription("with --remote: seconds between looks at the batch (default 5)"),
    Options.withDefault(5)
  )
}, (args) =>
  Effect.gen(function*() {
    if (args.remote) return yield* remoteBatch(args)
    if (Option.isSome(args.batchId)) {
      return yield* new CliError({ message: "--batch-id needs --remote", exitCode: 2 })
    }
    const stop = yield* Signals.gracefulStop
    const err = Output.stderr()
    const summary = yield* Batch.runFile(args.input, args.output, {
      stopWhen: stop,
      ...(Option.isSome(args.concurrency) ? { concurrency: args.concurrency.value } : {}),
      ...(Option.isSome(args.rpm) || Option.isSome(args.tpm)
        ? {
          rateLimit: {
            requestsPerMinute: Option.getOrUndefined(args.rpm),
            tokensPerMinute: Option.getOrUndefined(args.tpm)
          }
        }
        : {}),
      ...(Option.isSome(args.maxCredits) ? { budget: { credits: args.maxCredits.value } } : {}),
      progressBar: { output: { write: err.write, isTTY: err.isTTY, columns: err.columns } }
    })
    const done = summary.succeeded + summary.failed + summary.skipped
    err.write(
      `${done} of ${summary.total} keys done (${summary.succeeded} succeeded, ${summary.failed} failed, ` +
        `${summary.skipped} already in ${args.output})\n`
    )
    if (summary.notDone > 0) {
      const why = Signals.stopWasRequested() ? "interrupted" : "stopped (budget spent)"
      err.write(
        `${why}: ${summary.notDone} keys not done; resume with the same command: ` +
          `nexos batch ${args.input} -o ${args.output}\n`
      )
      yield* setExitCode(Signals.stopWasRequested() ? 130 : 3)
    }
    if (summary.failed > 0) {
      err.write(`${summary.failed} keys failed: their error lines are in ${args.output}\n`)
      yield* setExitCode(1)
    }
  }).pipe(Effect.scoped, Effect.provide(clientLayer(args)))).pipe(
    Command.withDescription(
      "run a JSONL file of requests (OpenAI batch format) and write the results, resumably; " +
        "exit 0 all succeeded, 1 some failed, 3 budget spent, 130 interrupted"
    )
  )

const mockCommand = Command.make("mock", {
  port: Options.integer("port").pipe(
    Options.withDescription("port on 127.0.0.1 (0: a free one)"),
    Options.withDefault(8787)
  ),
  key: Options.text("key").pipe(Options.withDescription("the API key it accepts"), Options.optional),
  noAuth: Options.boolean("no-auth").pipe(Options.withDescription("accept any key"))
}, (args) =>
  Effect.promise(() => import("@nexos-effect/testing/MockGateway")).pipe(
    Effect.flatMap((MockGateway) =>
      MockGateway.serve({
        port: args.port,
        auth: !args.noAuth,
        ...(Option.isSome(args.key) ? { apiKey: args.key.value } : {})
      })
    ),
    Effect.orDie
  )).pipe(
    Command.withDescription("the embedded mock gateway (a real HTTP server on 127.0.0.1) until Ctrl-C")
  )

/**
 * The `nexos` command with its subcommands.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("nexos").pipe(
  Command.withDescription("the nexos.ai gateway from the command line"),
  Command.withSubcommands([chatCommand, batchCommand, modelsCommand, filesCommand, mockCommand])
)

/**
 * Runs the CLI on `argv` (without the node and script entries).
 *
 * @since 0.1.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>) =>
  Command.run(command, { name: "nexos", version })(["node", "nexos", ...argv]).pipe(
    Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer))
  )

const report = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return process.exitCode === undefined ? 0 : Number(process.exitCode)
  if (Cause.isInterruptedOnly(exit.cause)) return 130
  const err = Output.stderr()
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (ValidationError.isValidationError(error)) return 2
    if (error instanceof CliError) {
      err.write(`nexos: ${error.message}\n`)
      return error.exitCode
    }
    err.write(`nexos: ${Output.red(err, Output.describeError(error))}\n`)
    return 1
  }
  const defect = Cause.squash(exit.cause)
  err.write(`nexos: unexpected failure: ${Output.describeError(defect)}\n`)
  return 1
}

/**
 * The program of the `nexos` binary: runs `argv`, prints failures as one line (the typed error's message and its
 * request id, never a stack trace), sets the exit code. The first Ctrl-C stops a batch gracefully, any other one
 * interrupts.
 *
 * @since 0.1.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string>): void => {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0)
  })
  const fiber = Effect.runFork(run(argv))
  const interrupt = () => Signals.onInterruptSignal(() => Effect.runFork(Fiber.interrupt(fiber)))
  process.on("SIGINT", interrupt)
  process.on("SIGTERM", interrupt)
  fiber.addObserver((exit) => {
    process.removeListener("SIGINT", interrupt)
    process.removeListener("SIGTERM", interrupt)
    process.exitCode = report(exit)
  })
}
