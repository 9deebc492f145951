/**
 * The one assembler of a streamed chat completion: a mutable state object, created per stream run, fed chunk by
 * chunk. It emits `ChatEvent`s and, when asked to keep the answer, can build the final `ChatCompletion` from the
 * same state. Both `ChatStream.events` and `ChatStream.accumulate` run it.
 *
 * @since 0.1.0
 */
import * as Annotation from "@nexos-effect/schema/Annotation"
import type * as ChatCompletion from "@nexos-effect/schema/ChatCompletion"
import type * as ChatCompletionChunk from "@nexos-effect/schema/ChatCompletionChunk"
import type * as ContentPart from "@nexos-effect/schema/ContentPart"
import * as FinishReason from "@nexos-effect/schema/FinishReason"
import type * as Logprobs from "@nexos-effect/schema/Logprobs"
import type * as Usage from "@nexos-effect/schema/Usage"
import * as Chunk from "effect/Chunk"
import * as ChatEvent from "../ChatEvent.js"
import type * as ResponseMeta from "../ResponseMeta.js"
import { JsonProgress } from "./jsonProgress.js"
import { unsafeGet } from "./responseMeta.js"

interface ToolState {
  readonly index: number
  id: string
  name: string
  type: string
  args: string
  readonly json: JsonProgress
  hasArgs: boolean
  started: boolean
  done: boolean
}

interface ChoiceState {
  readonly index: number
  content: string
  hasContent: boolean
  refusal: string
  hasRefusal: boolean
  reasoning: string
  hasReasoning: boolean
  tools: Array<ToolState>
  open: Array<ToolState>
  byWire: Map<number, ToolState> | undefined
  byId: Map<string, ToolState> | undefined
  usedIndex: Set<number> | undefined
  maxIndex: number
  lastTool: ToolState | undefined
  finish: string | undefined
  seen: Set<string> | undefined
  annotations: Array<Annotation.Annotation> | undefined
  logContent: Array<Logprobs.TokenLogprob> | undefined
  logRefusal: Array<Logprobs.TokenLogprob> | undefined
  hasLogprobs: boolean
  fnName: string
  fnArgs: string
  hasFn: boolean
}

const newChoice = (index: number): ChoiceState => ({
  index,
  content: "",
  hasContent: false,
  refusal: "",
  hasRefusal: false,
  reasoning: "",
  hasReasoning: false,
  tools: [],
  open: [],
  byWire: undefined,
  byId: undefined,
  usedIndex: undefined,
  maxIndex: -1,
  lastTool: undefined,
  finish: undefined,
  seen: undefined,
  annotations: undefined,
  logContent: undefined,
  logRefusal: undefined,
  hasLogprobs: false,
  fnName: "",
  fnArgs: "",
  hasFn: false
})

const byIndex = <A extends { readonly index: number }>(a: A, b: A): number => a.index - b.index

const append = <A>(to: Array<A> | undefined, items: ReadonlyArray<A>): Array<A> => {
  const out = to ?? []
  for (let i = 0; i < items.length; i++) out.push(items[i])
  return out
}

const thinkingText = (thinking: unknown): string => {
  if (typeof thinking === "string") return thinking
  if (Array.isArray(thinking)) {
    let out = ""
    for (const t of thinking) out += thinkingText(t)
    return out
  }
  if (typeof thinking === "object" && thinking !== null) {
    const part = thinking as { text?: unknown; thinking?: unknown }
    if (typeof part.text === "string") return part.text
    if (part.thinking !== undefined) return thinkingText(part.thinking)
  }
  return ""
}

const nonEmpty = (s: string | undefined): string | undefined => s === undefined || s === "" ? undefined : s

const hasText = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return true
  }
  return false
}

/** Whether nothing of a call's arguments is pending: none came yet, or they form complete JSON. */
const settled = (t: ToolState): boolean => !t.hasArgs || t.json.complete

/** @internal */
export class EventState {
  private id = ""
  private model = ""
  private created = 0
  private fingerprint: string | undefined = undefined
  private tier: string | undefined = undefined
  private metaSent = false
  private chunks = 0
  private usage: Usage.Usage | undefined = undefined
  private readonly choices: Array<ChoiceState> = []
  private last: ChoiceState | undefined = undefined
  meta: ResponseMeta.ResponseMeta | undefined = undefined

  constructor(
    private readonly keep: boolean,
    private readonly headers: Readonly<Record<string, string>> | undefined
  ) {}

  feed(input: Chunk.Chunk<ChatCompletionChunk.ChatCompletionChunk>): Chunk.Chunk<ChatEvent.ChatEvent> {
    const chunks = Chunk.toReadonlyArray(input)
    const out: Array<ChatEvent.ChatEvent> = []
    for (let i = 0; i < chunks.length; i++) this.chunk(chunks[i], out)
    return Chunk.unsafeFromArray(out)
  }

  feedArray(chunks: ReadonlyArray<ChatCompletionChunk.ChatCompletionChunk>, out: Array<ChatEvent.ChatEvent>): void {
    for (let i = 0; i < chunks.length; i++) this.chunk(chunks[i], out)
  }

  end(): Chunk.Chunk<ChatEvent.ChatEvent> {
    const out: Array<ChatEvent.ChatEvent> = []
    if (!this.metaSent && this.chunks > 0) this.sendMetadata(out, out.length)
    const choices = this.sorted()
    for (const s of choices) this.closeTools(s, false, out)
    for (const s of choices) {
      if (s.finish !== undefined) {
        out.push({ _tag: "Finish", choice: s.index, reason: FinishReason.normalize(s.finish), rawReason: s.finish })
      }
    }
    if (this.usage !== undefined) out.push({ _tag: "Usage", usage: this.usage })
    return Chunk.unsafeFromArray(out)
  }

  completion(): ChatCompletion.ChatCompletion {
    return {
      id: this.id,
      object: "chat.completion",
      created: this.created,
      model: this.model,
      choices: this.sorted().map((s) => this.choiceOf(s)),
      ...(this.usage === undefined ? {} : { usage: this.usage }),
      ...(this.fingerprint === undefined ? {} : { system_fingerprint: this.fingerprint }),
      ...(this.tier === undefined ? {} : { service_tier: this.tier })
    }
  }

  private choiceOf(s: ChoiceState): ChatCompletion.Choice {
    const tools = s.tools.length > 1 ? s.tools.slice().sort(byIndex) : s.tools
    const message: ChatCompletion.Message = {
      role: "assistant",
      ...(s.hasContent ? { content: s.content } : {}),
      ...(s.hasRefusal ? { refusal: s.refusal } : {}),
      ...(tools.length > 0
        ? {
          tool_calls: tools.map((t) => ({
            id: t.id,
            type: t.type === "" ? "function" : t.type,
            function: { name: t.name, arguments: t.args }
          }))
        }
        : {}),
      ...(s.hasFn ? { function_call: { name: s.fnName, arguments: s.fnArgs } } : {}),
      ...(s.annotations === undefined ? {} : { annotations: s.annotations }),
      ...(s.hasReasoning ? { reasoning_content: s.reasoning } : {})
    }
    const logprobs: Logprobs.Logprobs | undefined = s.hasLogprobs
      ? {
        ...(s.logContent === undefined ? {} : { content: s.logContent }),
        ...(s.logRefusal === undefined ? {} : { refusal: s.logRefusal })
      }
      : undefined
    return {
      index: s.index,
      message,
      ...(s.finish === undefined ? {} : { finish_reason: s.finish }),
      ...(logprobs === undefined ? {} : { logprobs })
    }
  }

  private sorted(): Array<ChoiceState> {
    return this.choices.slice().sort(byIndex)
  }

  private sendMetadata(out: Array<ChatEvent.ChatEvent>, at: number): void {
    this.metaSent = true
    const meta: ChatEvent.Metadata = {
      _tag: "Metadata",
      id: this.id,
      model: this.model,
      created: this.created,
      ...(this.fingerprint === undefined ? {} : { systemFingerprint: this.fingerprint }),
      ...(this.tier === undefined ? {} : { serviceTier: this.tier }),
      ...(this.headers !== undefined
        ? { headers: this.headers }
        : this.meta === undefined
        ? {}
        : { headers: this.meta.headers }),
      ...(this.meta === undefined ? {} : { meta: this.meta })
    }
    if (at === out.length) out.push(meta)
    else out.splice(at, 0, meta)
  }

  private chunk(c: ChatCompletionChunk.ChatCompletionChunk, out: Array<ChatEvent.ChatEvent>): void {
    this.chunks++
    if (this.meta === undefined) this.meta = unsafeGet(c)
    if (this.id === "" && c.id !== "") this.id = c.id
    if (this.model === "" && c.model !== "") this.model = c.model
    if (this.created === 0 && c.created !== 0) this.created = c.created
    const fp = c.system_fingerprint
    if (fp !== undefined && (this.fingerprint === undefined || this.fingerprint === "")) this.fingerprint = fp
    const tier = c.service_tier
    if (tier !== undefined && (this.tier === undefined || this.tier === "")) this.tier = tier
    const before = out.length
    const choices = c.choices
    for (let i = 0; i < choices.length; i++) this.choice(choices[i], out)
    if (c.usage !== undefined) this.usage = c.usage
    if (!this.metaSent && (out.length > before || this.id !== "" || this.model !== "")) this.sendMetadata(out, before)
  }

  private state(index: number): ChoiceState {
    const last = this.last
    if (last !== undefined && last.index === index) return last
    const choices = this.choices
    for (let i = 0; i < choices.length; i++) {
      if (choices[i].index === index) return (this.last = choices[i])
    }
    const s = newChoice(index)
    choices.push(s)
    return (this.last = s)
  }

  private choice(ch: ChatCompletionChunk.ChunkChoice, out: Array<ChatEvent.ChatEvent>): void {
    const s = this.state(ch.index)
    const d = ch.delta
    let reasoning = d.reasoning_content
    if (reasoning === undefined || (reasoning === "" && d.reasoning !== undefined)) reasoning = d.reasoning
    if (reasoning !== undefined) this.reasoning(s, reasoning, out)
    const content = d.content
    if (content !== undefined) {
      if (typeof content === "string") this.text(s, content, out)
      else this.parts(s, content, out)
    }
    if (d.refusal !== undefined) this.refusal(s, d.refusal, out)
    if (d.tool_calls !== undefined) this.tools(s, d.tool_calls, out)
    if (d.function_call !== undefined && this.keep) {
      s.hasFn = true
      const { arguments: args, name } = d.function_call
      if (name !== undefined && name !== "" && s.fnName === "") s.fnName = name
      if (args !== undefined) s.fnArgs += args
    }
    if (d.annotations !== undefined) this.annotations(s, d.annotations, out)
    if (ch.logprobs !== undefined && this.keep) {
      s.hasLogprobs = true
      const { content, refusal } = ch.logprobs
      if (content !== undefined) s.logContent = append(s.logContent, content)
      if (refusal !== undefined) s.logRefusal = append(s.logRefusal, refusal)
    }
    if (ch.finish_reason !== undefined && ch.finish_reason !== "") {
      s.finish = ch.finish_reason
      this.closeTools(s, true, out)
    }
  }

  private text(s: ChoiceState, delta: string, out: Array<ChatEvent.ChatEvent>): void {
    s.hasContent = true
    if (delta.length === 0) return
    if (this.keep) s.content += delta
    out.push({ _tag: "TextDelta", choice: s.index, delta })
  }

  private reasoning(s: ChoiceState, delta: string, out: Array<ChatEvent.ChatEvent>): void {
    s.hasReasoning = true
    if (delta.length === 0) return
    if (this.keep) s.reasoning += delta
    out.push({ _tag: "ReasoningDelta", choice: s.index, delta })
  }

  private refusal(s: ChoiceState, delta: string, out: Array<ChatEvent.ChatEvent>): void {
    s.hasRefusal = true
    if (delta.length === 0) return
    if (this.keep) s.refusal += delta
    out.push({ _tag: "RefusalDelta", choice: s.index, delta })
  }

  private parts(s: ChoiceState, parts: ReadonlyArray<ContentPart.ContentPart>, out: Array<ChatEvent.ChatEvent>): void {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]
      switch (p.type) {
        case "text":
          this.text(s, p.text ?? "", out)
          break
        case "thinking":
          this.reasoning(s, thinkingText(p.thinking ?? p.text), out)
          break
        case "reasoning":
          if (p.text !== undefined) this.reasoning(s, p.text, out)
          break
        case "refusal":
          if (p.refusal !== undefined) this.refusal(s, p.refusal, out)
          break
      }
    }
  }

  private tools(
    s: ChoiceState,
    deltas: ReadonlyArray<ChatCompletionChunk.ToolCallDelta>,
    out: Array<ChatEvent.ChatEvent>
  ): void {
    const n = deltas.length
    for (let p = 0; p < n; p++) {
      const td = deltas[p]
      const fn = td.function
      const id = nonEmpty(td.id)
      const name = nonEmpty(fn?.name)
      const args = fn?.arguments
      const t = td.index !== undefined ? this.indexed(s, td.index, id, name, args) : this.infer(s, id, name, p, n)
      s.lastTool = t
      if (t.done) continue
      if (id !== undefined && t.id === "") {
        t.id = id
        const byId = s.byId ?? (s.byId = new Map())
        if (!byId.has(id)) byId.set(id, t)
      }
      if (name !== undefined && t.name === "") t.name = name
      if (td.type !== undefined && td.type !== "" && t.type === "") t.type = td.type
      if (!t.started && t.name !== "") this.start(s, t, out)
      if (args !== undefined && args.length > 0) {
        if (!t.started) this.start(s, t, out)
        t.args += args
        t.hasArgs = true
        t.json.feed(args)
        out.push({ _tag: "ToolCallDelta", choice: s.index, index: t.index, delta: args })
      }
    }
  }

  private indexed(
    s: ChoiceState,
    wire: number,
    id: string | undefined,
    name: string | undefined,
    args: string | undefined
  ): ToolState {
    const t = s.byWire?.get(wire)
    if (t === undefined) return this.newTool(s, wire)
    if (!settled(t)) return t
    const another = (id !== undefined && t.id !== "" && t.id !== id) ||
      (name !== undefined && t.name !== "" && t.name !== name) ||
      (id === undefined && name !== undefined && t.json.complete && args !== undefined && hasText(args))
    return another ? this.newTool(s, wire) : t
  }

  private newTool(s: ChoiceState, wire: number): ToolState {
    const used = s.usedIndex ?? (s.usedIndex = new Set())
    const index = used.has(wire) ? s.maxIndex + 1 : wire
    used.add(index)
    if (index > s.maxIndex) s.maxIndex = index
    const t: ToolState = {
      index,
      id: "",
      name: "",
      type: "",
      args: "",
      json: new JsonProgress(),
      hasArgs: false,
      started: false,
      done: false
    }
    s.tools.push(t)
    s.open.push(t)
    ;(s.byWire ?? (s.byWire = new Map())).set(wire, t)
    return t
  }

  private infer(
    s: ChoiceState,
    id: string | undefined,
    name: string | undefined,
    position: number,
    count: number
  ): ToolState {
    if (id !== undefined) {
      const known = s.byId?.get(id)
      if (known !== undefined) return known
    }
    const last = s.lastTool
    if (count === 1 && last !== undefined && (id === undefined || last.id === "" || last.id === id)) {
      if (name === undefined && id === undefined) return last
      if ((name === undefined || last.name === "" || last.name === name) && !last.json.complete) return last
    }
    const t = s.byWire?.get(position)
    if (t === undefined) return this.newTool(s, position)
    const another = (id !== undefined && t.id !== "" && t.id !== id) ||
      (name !== undefined && t.name !== "" && t.name !== name) ||
      (name !== undefined && id === undefined && t.json.complete)
    return another ? this.newTool(s, position) : t
  }

  private start(s: ChoiceState, t: ToolState, out: Array<ChatEvent.ChatEvent>): void {
    t.started = true
    out.push({ _tag: "ToolCallStart", choice: s.index, index: t.index, id: t.id, name: t.name })
  }

  private closeTools(s: ChoiceState, atFinish: boolean, out: Array<ChatEvent.ChatEvent>): void {
    const open = s.open
    if (open.length === 0) return
    const closing: Array<ToolState> = []
    const rest: Array<ToolState> = []
    for (const t of open) (atFinish && !t.json.complete ? rest : closing).push(t)
    s.open = rest
    closing.sort(byIndex)
    for (const t of closing) {
      if (!t.started) this.start(s, t, out)
      t.done = true
      out.push({
        _tag: "ToolCall",
        choice: s.index,
        index: t.index,
        id: t.id,
        name: t.name,
        arguments: t.args,
        parsed: ChatEvent.parseArguments(t.args, t.name)
      })
      if (!this.keep) t.args = ""
    }
  }

  private annotations(
    s: ChoiceState,
    list: ReadonlyArray<Annotation.Annotation>,
    out: Array<ChatEvent.ChatEvent>
  ): void {
    for (let i = 0; i < list.length; i++) {
      const a = list[i]
      const c = a.url_citation
      const key = c === undefined ? `\u0001${JSON.stringify(a)}` : Annotation.key(a)
      const seen = s.seen ?? (s.seen = new Set())
      if (seen.has(key)) continue
      seen.add(key)
      if (this.keep) (s.annotations ?? (s.annotations = [])).push(a)
      if (c !== undefined && c.url !== undefined) {
        out.push({
          _tag: "Citation",
          choice: s.index,
          url: c.url,
          ...(c.title === undefined ? {} : { title: c.title }),
          ...(c.start_index === undefined ? {} : { startIndex: c.start_index }),
          ...(c.end_index === undefined ? {} : { endIndex: c.end_index })
        })
      }
    }
  }
}
