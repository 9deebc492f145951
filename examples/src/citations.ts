/**
 * Web search with citations: the gateway's own `web_search` tool runs the search server-side and the answer carries
 * `url_citation` annotations whose `start_index` / `end_index` point into the answer text. Printed here per source:
 * title, url and the slice of text it supports. Streamed, the same citations come as `Citation` events
 * (`ChatStream.citations`). Some models cite with markdown links in the text instead of annotations:
 * `ChatStream.extractMarkdownCitations` turns those into the same annotation shape.
 *
 * Run alone: `node examples/dist/citations.js`
 */
import { ChatStream, NexosClient } from "@nexos-effect/client"
import type * as Annotation from "@nexos-effect/schema/Annotation"
import * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import { Chunk, Console, Effect, Stream } from "effect"
import * as Backend from "./backend.js"

const request: ChatCompletionRequest.ChatCompletionRequest = {
  model: Backend.model,
  messages: [{ role: "user", content: "What does the nexos.ai gateway do?" }],
  tools: [{ type: "web_search", web_search: { search_context_size: "low" } }]
}

const urlCitations = (annotations: ReadonlyArray<Annotation.Annotation>) =>
  annotations.flatMap((a) => a.type === "url_citation" && a.url_citation?.url !== undefined ? [a.url_citation] : [])

export const program = Effect.gen(function*() {
  const nexos = yield* NexosClient.NexosClient

  const completion = yield* nexos.chat.completions.create(request)
  const text = ChatCompletion.text(completion)
  const annotated = urlCitations(completion.choices[0]?.message.annotations ?? [])
  const citations = annotated.length > 0
    ? annotated
    : urlCitations(ChatStream.extractMarkdownCitations(text).annotations)
  yield* Console.log(`answer: ${text}`)
  for (const c of citations) {
    const cited = c.start_index !== undefined && c.end_index !== undefined
      ? `\n    cites: "${text.slice(c.start_index, c.end_index)}"`
      : ""
    yield* Console.log(`  - ${c.title ?? "(untitled)"} <${c.url}>${cited}`)
  }

  // The same request streamed: Citation events as they arrive, deduplicated.
  const streamed = yield* nexos.chat.completions.stream(request).pipe(
    ChatStream.citations,
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray)
  )
  yield* Console.log(`streamed: ${streamed.length} citation event(s)`)
  for (const c of streamed) {
    yield* Console.log(`  - [${c.startIndex}..${c.endIndex}] ${c.title ?? "(untitled)"} <${c.url}>`)
  }

  return {
    text,
    citations: citations.map((c) => ({ title: c.title, url: c.url, start: c.start_index, end: c.end_index })),
    streamed: streamed.map((c) => ({ title: c.title, url: c.url, start: c.startIndex, end: c.endIndex }))
  }
})

if (Backend.isMain(import.meta.url)) Backend.runMain(program)
