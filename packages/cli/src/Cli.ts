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
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Batch from "@nexos-effect/client/Batch"
import * as NexosClient from "@nexos-effect/client/NexosClient"
import * as ResponseMeta from "@nexos-effect/client/ResponseMeta"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Usage from "@nexos-effect/schema/Usage"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Output from "./internal/output.js"
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
    return NexosClient.layer({
      apiKey: apiKey.value,
      ...(Option.isSome(baseUrl) ? { baseUrl: baseUrl.value } : {})
    }).pipe(
      Layer.provide(NodeHttpClient.layerUndici),
      Layer.orDie
    )
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

const chatCommand = Command.make("chat", {
  ...connection,
  prompt: Args.text({ name: "prompt" }).pipe(
    Args.withDescription("the question (default: stdin when it is piped)"),
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
  raw: Options.boolean("raw").pipe(Options.withDescription("print the streamed chunks as JSONL")),
  noStream: Options.boolean("no-stream").pipe(Options.withDescription("one request, the whole answer at once")),
  noReasoning: Options.boolean("no-reasoning").pipe(Options.withDescription("hide the model's reasoning"))
}, (args) =>
  Effect.gen(function*() {
    const prompt = Option.isSome(args.prompt)
      ? args.prompt.value
      : process.stdin.isTTY === true
      ? yield* new CliError({ message: "no prompt: nexos chat \"your question\" (or pipe it on stdin)", exitCode: 2 })
      : yield* readStdin
    if (prompt.trim() === "") return yield* new CliError({ message: "the prompt is empty", exitCode: 2 })
    const modelEnv = yield* Effect.orDie(Config.option(Config.string("NEXOS_MODEL")))
    const model = Option.getOrElse(Option.orElse(args.model, () => nonEmpty(modelEnv, String)), () => defaultModel)
    const messages: Array<ChatCompletionRequest.Message> = []
    if (Option.isSome(args.system)) messages.push({ role: "system", content: args.system.value })
    messages.push({ role: "user", content: prompt })
    const request: ChatCompletionRequest.ChatCompletionRequest = {
      model,
      messages,
      ...(Option.isSome(args.temperature) ? { temperature: args.temperature.value } : {}),
      ...(Option.isSome(args.maxTokens) ? { max_tokens: args.maxTokens.value } : {}),
      ...(args.webSearch ? { tools: [{ type: "web_search" as const }] } : {})
    }
    const client = yield* NexosClient.NexosClient
    const out = Output.stdout()
    const err = Output.stderr()
    if (args.raw) {
      return yield* client.chat.completions.streamChunks(request).pipe(
        Stream.runForEach((chunk) => Effect.sync(() => out.write(JSON.stringify(chunk) + "\n")))
      )
    }
    const finish = (
      text: string,
      citations: ReadonlyArray<Output.Footnote>,
      usage: Usage.Usage | undefined,
      requestId: string | undefined,
      answeredBy: string
    ) =>
      Effect.sync(() => {
        if (!text.endsWith("\n")) out.write("\n")
        out.write(Output.renderFootnotes(out, Output.footnotes(citations)))
        err.write(Output.dim(err, Output.usageLine(usage, requestId, answeredBy)) + "\n")
      })
    if (args.noStream) {
      const { completion, meta } = yield* client.chat.completions.createWithMeta(request)
      const message = completion.choices[0]?.message
      const text = ChatCompletion.text(completion)
      const thinking = ChatCompletion.reasoning(completion)
      if (!args.noReasoning && thinking !== "") err.write(Output.dim(err, thinking) + "\n")
      out.write(text)
      const citations = (message?.annotations ?? []).flatMap((a) =>
        a.type === "url_citation" && a.url_citation?.url !== undefined
          ? [{ url: a.url_citation.url, title: a.url_citation.title }]
          : []
      )
      return yield* finish(text, citations, completion.usage ?? undefined, meta.requestId, completion.model)
    }
    const citations: Array<Output.Footnote> = []
    let text = ""
    let reasoning = false
    yield* client.chat.completions.streamWithCompletion(request).pipe(
      Stream.runForEach((event) =>
        Effect.gen(function*() {
          switch (event._tag) {
            case "ReasoningDelta":
              if (!args.noReasoning && event.choice === 0) {
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
                text += event.delta
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
                text,
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
      )
    )
  }).pipe(Effect.provide(clientLayer(args)))).pipe(
    Command.withDescription("ask a model; the answer streams as it is written, with citations and usage")
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
  )
}, (args) =>
  Effect.gen(function*() {
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
  Command.withSubcommands([chatCommand, batchCommand, modelsCommand, mockCommand])
)

/**
 * Runs the CLI on `argv` (without the node and script entries).
 *
 * @since 0.1.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>) =>
  Command.run(command, { name: "nexos", version })(["node", "nexos", ...argv]).pipe(
    Effect.provide(NodeContext.layer)
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
