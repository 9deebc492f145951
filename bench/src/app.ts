/**
 * The app of the `nexos-app` rows: a small program on the client, written as the root README's example is (imports
 * through the packages' entry points, `NexosClient.layerUndici`). `pnpm build` compiles it to `dist/app.js` (the
 * unbundled app) and bundles it with esbuild, with the options the README gives users, into `dist/app.bundle.mjs`
 * (`bench/scripts/bundle.mjs`). The variants `nexos-app` and `nexos-app-bundled` load one or the other.
 */
import { NexosClient, RetryPolicy } from "@nexos-effect/client"
import type { ChatCompletionRequest } from "@nexos-effect/schema"
import { ManagedRuntime, Redacted, Stream } from "effect"

/** What a stream brought: the text's length and the number of complete tool calls. */
export interface Tally {
  content: number
  toolCalls: number
}

/** The app, against a gateway at `origin`: one client, and a function streaming one request into a tally. */
export const start = async (origin: string) => {
  const runtime = ManagedRuntime.make(
    NexosClient.layerUndici({ apiKey: Redacted.make("k"), baseUrl: `${origin}/v1`, retry: RetryPolicy.none })
  )
  const nexos = await runtime.runPromise(NexosClient.NexosClient)
  return {
    stream: (
      request: ChatCompletionRequest.ChatCompletionRequest,
      headers: Record<string, string>
    ): Promise<Tally> =>
      runtime.runPromise(
        Stream.runFold(
          nexos.chat.completions.stream(request, { headers }),
          { content: 0, toolCalls: 0 },
          (tally, e) => {
            if (e._tag === "TextDelta") tally.content += e.delta.length
            else if (e._tag === "ToolCall") tally.toolCalls++
            return tally
          }
        )
      ),
    dispose: () => runtime.dispose()
  }
}
