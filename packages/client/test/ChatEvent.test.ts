import { assert, describe, it } from "@effect/vitest"
import * as ChatEvent from "@nexos-effect/client/ChatEvent"

describe("ChatEvent", () => {
  it("constructors, $is and isChatEvent", () => {
    const call = ChatEvent.ToolCall({ choice: 0, index: 0, id: "a", name: "f", arguments: "{\"x\":1}" })
    assert.strictEqual(call._tag, "ToolCall")
    assert.deepStrictEqual(call.parsed, ChatEvent.parseArguments("{\"x\":1}"))
    assert.isTrue(ChatEvent.$is("ToolCall")(call))
    assert.isFalse(ChatEvent.$is("TextDelta")(call))
    assert.isTrue(ChatEvent.isChatEvent(ChatEvent.TextDelta({ choice: 0, delta: "x" })))
    assert.isFalse(ChatEvent.isChatEvent({ _tag: "Other" }))
    assert.deepStrictEqual(ChatEvent.Citation({ choice: 1, url: "u" }), { _tag: "Citation", choice: 1, url: "u" })
  })

  it("parseArguments: JSON, {} for blank, a typed error otherwise", () => {
    assert.deepStrictEqual(ChatEvent.parseArguments("[1, 2]"), ChatEvent.parseArguments(" [1,2] "))
    assert.deepStrictEqual(ChatEvent.parseArguments("  "), ChatEvent.parseArguments("{}"))
    const bad = ChatEvent.parseArguments("{oops", "f")
    assert.strictEqual(bad._tag, "Left")
    if (bad._tag === "Left") {
      assert.strictEqual(bad.left.name, "f")
      assert.strictEqual(bad.left.arguments, "{oops")
    }
  })
})
