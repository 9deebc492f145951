import { assert, describe, it } from "@effect/vitest"
import * as ChatEvent from "@nexos-effect/client/ChatEvent"
import * as ChatStream from "@nexos-effect/client/ChatStream"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import { Chunk, Effect, FastCheck as fc, Stream } from "effect"

const text = (choice: number, delta: string): ChatEvent.ChatEvent => ({ _tag: "TextDelta", choice, delta })

const routed = (events: ReadonlyArray<ChatEvent.ChatEvent>, perChunk = 1) =>
  Stream.fromIterable(events).pipe(
    Stream.rechunk(perChunk),
    ChatStream.routeThinking,
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray)
  )

const joined = (events: ReadonlyArray<ChatEvent.ChatEvent>, choice = 0) => ({
  content: events.filter((e) => e._tag === "TextDelta" && e.choice === choice).map((e) =>
    e._tag === "TextDelta" ? e.delta : ""
  ).join(""),
  thinking: events.filter((e) => e._tag === "ReasoningDelta" && e.choice === choice).map((e) =>
    e._tag === "ReasoningDelta" ? e.delta : ""
  ).join("")
})

describe("splitThinking (final text)", () => {
  it("puts only the inner text into thinking (the Python SDK copies the answer into it)", () => {
    assert.deepStrictEqual(ChatStream.splitThinking("<think>\nLet me see.\n</think>\n\nThe answer is 4."), {
      content: "The answer is 4.",
      thinking: "Let me see."
    })
  })

  it("keeps text before the section, handles several sections and an unclosed one", () => {
    assert.deepStrictEqual(ChatStream.splitThinking("Intro <think>a</think> middle <think>b</think> end"), {
      content: "Intro  middle  end",
      thinking: "ab"
    })
    assert.deepStrictEqual(ChatStream.splitThinking("<think>still thinking"), {
      content: "",
      thinking: "still thinking"
    })
    assert.deepStrictEqual(ChatStream.splitThinking("answer</think> tail"), { content: "answer tail", thinking: "" })
  })

  it("returns text without tags unchanged", () => {
    assert.deepStrictEqual(ChatStream.splitThinking("  plain answer \n"), {
      content: "  plain answer \n",
      thinking: ""
    })
  })
})

describe("routeThinking (stream)", () => {
  it.effect("routes text inside the tags to ReasoningDelta, tags split across fragments", () =>
    Effect.gen(function*() {
      const events = yield* routed([
        { _tag: "Metadata", id: "x", model: "m", created: 0 },
        text(0, "<th"),
        text(0, "ink>Step 1. "),
        text(0, "Step 2.</thi"),
        text(0, "nk>\n\nAnswer: "),
        text(0, "4 <"),
        text(0, "b>"),
        { _tag: "Finish", choice: 0, reason: "stop", rawReason: "stop" }
      ])
      assert.deepStrictEqual(events, [
        { _tag: "Metadata", id: "x", model: "m", created: 0 },
        { _tag: "ReasoningDelta", choice: 0, delta: "Step 1. " },
        { _tag: "ReasoningDelta", choice: 0, delta: "Step 2." },
        { _tag: "TextDelta", choice: 0, delta: "Answer: " },
        { _tag: "TextDelta", choice: 0, delta: "4 " },
        { _tag: "TextDelta", choice: 0, delta: "<b>" },
        { _tag: "Finish", choice: 0, reason: "stop", rawReason: "stop" }
      ])
    }))

  it.effect("releases a held-back partial tag at the end of the stream", () =>
    Effect.gen(function*() {
      const events = yield* routed([text(0, "a <thi")])
      assert.deepStrictEqual(events, [text(0, "a "), text(0, "<thi")])
    }))

  it.effect("keeps choices apart", () =>
    Effect.gen(function*() {
      const events = yield* routed([text(0, "<think>x"), text(1, "y"), text(0, "</think>z"), text(1, "<think>w")])
      assert.deepStrictEqual(joined(events, 0), { content: "z", thinking: "x" })
      assert.deepStrictEqual(joined(events, 1), { content: "y", thinking: "w" })
    }))

  it.effect("gives the same split as splitThinking at any fragment boundaries", () =>
    Effect.gen(function*() {
      const answers = [
        "<think>\nI should add 2 and 2.\n</think>\n\nThe answer is **4**.",
        "Before <think>a < b </thi nk> still</think> after <think>second</think>!",
        "<think><think>nested</think> out",
        "no tags at all, just < and >"
      ]
      for (const answer of answers) {
        const expected = ChatStream.splitThinking(answer)
        const samples = fc.sample(fc.array(fc.nat({ max: answer.length }), { maxLength: 12 }), {
          numRuns: 60,
          seed: 3
        })
        for (const cuts of samples) {
          const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), answer.length]
          const fragments = points.slice(1).map((p, i) => answer.slice(points[i], p)).filter((f) => f.length > 0)
          const events = yield* routed(fragments.map((f) => text(0, f)), 3)
          const got = joined(events)
          assert.strictEqual(got.content.trim(), expected.content, JSON.stringify(fragments))
          assert.strictEqual(got.thinking.trim(), expected.thinking, JSON.stringify(fragments))
        }
      }
    }))
})

describe("markdown citations", () => {
  it("extracts links as url citations and removes them from the text", () => {
    const result = ChatStream.extractMarkdownCitations(
      "Paris is the capital [Wikipedia](https://en.wikipedia.org/wiki/Paris). See also [1](https://a.example/x) " +
        "and [1](https://a.example/x). ![logo](https://img.example/l.png)"
    )
    assert.deepStrictEqual(result.annotations, [
      { type: "url_citation", url_citation: { title: "Wikipedia", url: "https://en.wikipedia.org/wiki/Paris" } },
      { type: "url_citation", url_citation: { title: "1", url: "https://a.example/x" } }
    ])
    assert.strictEqual(result.content, "Paris is the capital . See also  and . ![logo](https://img.example/l.png)")
  })

  it("returns text without links unchanged", () => {
    assert.deepStrictEqual(ChatStream.extractMarkdownCitations(" [not a link] (x) "), {
      content: " [not a link] (x) ",
      annotations: []
    })
  })

  it("postProcess splits thinking and moves the answer's links into annotations", () => {
    const completion: ChatCompletion.ChatCompletion = {
      id: "x",
      object: "chat.completion",
      created: 0,
      model: "m",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "<think>check [src](https://t.example)</think>\nIt is 4 [calc](https://c.example).",
            annotations: [{ type: "url_citation", url_citation: { url: "https://api.example" } }]
          },
          finish_reason: "stop"
        },
        { index: 1, message: { role: "assistant" } }
      ]
    }
    const processed = ChatStream.postProcess(completion)
    assert.deepStrictEqual(processed.choices[0].message, {
      role: "assistant",
      content: "It is 4 .",
      reasoning_content: "check [src](https://t.example)",
      annotations: [
        { type: "url_citation", url_citation: { url: "https://api.example" } },
        { type: "url_citation", url_citation: { title: "calc", url: "https://c.example" } }
      ]
    })
    assert.strictEqual(processed.choices[1], completion.choices[1])
    const thinkingOnly = ChatStream.postProcess(completion, { markdownCitations: false })
    assert.strictEqual(thinkingOnly.choices[0].message.content, "It is 4 [calc](https://c.example).")
  })
})
