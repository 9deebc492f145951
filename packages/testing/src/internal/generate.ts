import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import type * as Reply from "../Reply.js"
import * as JsonSchema from "./jsonSchema.js"
import * as Tokens from "./tokens.js"

export interface ToolCallPlan {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

export interface CitationPlan {
  readonly url: string
  readonly title: string | undefined
  readonly start: number
  readonly end: number
}

export interface ChoicePlan {
  readonly index: number
  readonly content: string | null
  readonly contentTokens: ReadonlyArray<string>
  readonly reasoning: ReadonlyArray<string> | undefined
  readonly refusal: string | undefined
  readonly toolCalls: ReadonlyArray<ToolCallPlan>
  readonly citations: ReadonlyArray<CitationPlan>
  readonly finishReason: string
}

export interface Plan {
  readonly id: string
  readonly created: number
  readonly model: string
  readonly choices: ReadonlyArray<ChoicePlan>
  readonly usage: Record<string, unknown>
  readonly logprobs: number | undefined
}

export interface PlanContext {
  readonly id: string
  readonly created: number
  readonly answer: string | undefined
  readonly cached: boolean
  /** The text of an uploaded file (for `tika_ocr`), `undefined` when there is no such file. */
  readonly readFile?: (id: string) => string | undefined
}

type Message = ChatCompletionRequest.Message
type Request = ChatCompletionRequest.ChatCompletionRequest

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p === "object" && p !== null && typeof p.text === "string" ? p.text : "")).join(
      " "
    )
  }
  return ""
}

const clip = (s: string, max = 200): string => {
  const flat = s.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max)}...` : flat
}

const lastUserText = (messages: ReadonlyArray<Message>): string => {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === "user") return clip(textOf(messages[i].content))
  }
  return ""
}

const toolResults = (messages: ReadonlyArray<Message>): Array<string> => {
  const out: Array<string> = []
  for (let i = messages.length - 1; i >= 0 && (messages[i].role === "tool" || messages[i].role === "function"); i--) {
    out.unshift(clip(textOf(messages[i].content), 120))
  }
  return out
}

const webSearchSentences = [
  { title: "Mock result 1", text: "The nexos.ai gateway serves OpenAI-compatible chat completions for many models." },
  { title: "Mock result 2", text: "Its web_search tool attaches the sources it used as url_citation annotations." }
]

interface Body {
  readonly text: string
  readonly citations: ReadonlyArray<CitationPlan>
}

const searchBody = (query: string, prefix: string): Body => {
  let text = `${prefix}Here is what the web says. `
  const citations: Array<CitationPlan> = []
  webSearchSentences.forEach((s, i) => {
    const start = text.length
    text += s.text
    citations.push({
      url: `https://example.com/search/${i + 1}?q=${encodeURIComponent(query)}`,
      title: s.title,
      start,
      end: text.length
    })
    text += " "
  })
  text += query === "" ? "(no query)" : `You searched for: ${query}`
  return { text, citations }
}

const scriptedCitations = (text: string, citations: ReadonlyArray<Reply.Citation>): Array<CitationPlan> =>
  citations.map((c) => {
    const found = c.title === undefined ? -1 : text.indexOf(c.title)
    const start = c.start ?? (found >= 0 ? found : 0)
    const end = c.end ?? (found >= 0 && c.start === undefined ? found + c.title!.length : text.length)
    return { url: c.url, title: c.title, start, end }
  })

const functionTools = (request: Request) =>
  (request.tools ?? []).flatMap((t) => (t.type === "function" ? [t.function] : []))

const chooseTools = (request: Request) => {
  const fns = functionTools(request)
  const choice = request.tool_choice
  if (fns.length === 0 || choice === "none") return []
  if (typeof choice === "object") return fns.filter((f) => f.name === choice.function.name)
  const last = request.messages[request.messages.length - 1]
  if (choice !== "required" && (last?.role === "tool" || last?.role === "function")) return []
  return request.parallel_tool_calls === false ? fns.slice(0, 1) : fns
}

const reasoningRequested = (request: Request): boolean =>
  (request.reasoning_effort !== undefined && request.reasoning_effort !== "none") ||
  (request.thinking !== undefined && request.thinking.type !== "disabled")

const reasoningText = (request: Request, user: string): string =>
  `The user asks: "${clip(user, 80)}". Effort ${
    request.reasoning_effort ?? "default"
  }. A short, direct answer from the mock gateway fits best.`

const defaultAnswer = (request: Request, user: string, ctx: PlanContext): string => {
  const results = toolResults(request.messages)
  if (results.length > 0) return `The tools returned: ${results.join("; ")}.`
  if (ctx.answer !== undefined) return ctx.answer
  return user === "" ? "Hello from the nexos mock gateway." : `Hello from the nexos mock gateway. You said: ${user}`
}

const ocr = (id: string, ctx: PlanContext): string => {
  const text = ctx.readFile?.(id)
  if (text === undefined) return `I could not find the file ${id}. `
  const flat = text.replace(/\s+/g, " ").trim()
  return `I read the file ${id} (${text.length} characters). It says: "${clip(flat, 200)}" `
}

const serverTools = (request: Request, ctx: PlanContext): string => {
  let out = ""
  for (const tool of request.tools ?? []) {
    if (tool.type === "rag") {
      out += `I searched the knowledge collection ${tool.rag?.mcp?.collection_uuid ?? "(default)"}. `
    }
    if (tool.type === "tika_ocr") out += ocr(tool.tika_ocr.file_id, ctx)
  }
  return out
}

const instructedSchema = (messages: ReadonlyArray<Message>): unknown => {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]
    if (m.role !== "system" && m.role !== "developer") continue
    const text = textOf(m.content)
    const start = text.indexOf("\n{")
    if (start < 0) continue
    try {
      const schema = JSON.parse(text.slice(start + 1))
      if (typeof schema === "object" && schema !== null && ("type" in schema || "properties" in schema)) return schema
    } catch {
      continue
    }
  }
  return undefined
}

const structured = (request: Request, answer: string): string | undefined => {
  const format = request.response_format
  if (format?.type === "json_schema") return JSON.stringify(JsonSchema.sample(format.json_schema.schema ?? {}))
  if (format?.type === "json_object") {
    const schema = instructedSchema(request.messages)
    return JSON.stringify(schema === undefined ? { answer } : JsonSchema.sample(schema))
  }
  return undefined
}

const promptTokens = (request: Request): number => {
  let n = 0
  for (const m of request.messages) n += 4 + Tokens.estimate(textOf(m.content))
  if (request.tools !== undefined) n += Tokens.estimate(JSON.stringify(request.tools))
  return n
}

const round = (x: number): number => Number(x.toFixed(10))

/** Decides what the mock answers: the request's features, overridden by a scripted `Generate` reply. */
export const plan = (request: Request, script: Reply.Generate | undefined, ctx: PlanContext): Plan => {
  const n = request.n ?? 1
  const user = lastUserText(request.messages)
  const budget = request.max_completion_tokens ?? request.max_tokens ?? undefined
  const scriptedCalls = script?.toolCalls
  const tools = scriptedCalls === undefined ? chooseTools(request) : []
  const wantsReasoning = script?.reasoning !== undefined || reasoningRequested(request)
  const webSearch = (request.tools ?? []).some((t) => t.type === "web_search")
  const choices: Array<ChoicePlan> = []
  let completionTokens = 0
  let reasoningTokens = 0
  for (let index = 0; index < n; index++) {
    const prefix = n > 1 && script?.text === undefined && script?.tokens === undefined ? `Choice ${index}: ` : ""
    let reasoning = wantsReasoning ? Tokens.tokenize(script?.reasoning ?? reasoningText(request, user)) : undefined
    let toolCalls: Array<ToolCallPlan> = []
    let content: string | null = null
    let contentTokens: Array<string> = []
    let citations: ReadonlyArray<CitationPlan> = []
    const refusal: string | undefined = script?.refusal
    let finishReason = "stop"
    if (scriptedCalls !== undefined && scriptedCalls.length > 0) {
      toolCalls = scriptedCalls.map((c, k) => ({
        id: c.id ?? `call_${ctx.id.slice(-8)}_${index}_${k}`,
        name: c.name,
        arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {})
      }))
    } else if (tools.length > 0) {
      toolCalls = tools.map((f, k) => ({
        id: `call_${ctx.id.slice(-8)}_${index}_${k}`,
        name: f.name,
        arguments: JSON.stringify(JsonSchema.sample(f.parameters ?? { type: "object", properties: {} }))
      }))
    }
    const searched = webSearch && toolResults(request.messages).length === 0
    if (script?.tokens !== undefined) {
      contentTokens = Tokens.filler(script.tokens)
      content = contentTokens.join("")
    } else if (
      script?.text !== undefined || script?.citations !== undefined ||
      (refusal === undefined && (toolCalls.length === 0 || (searched && scriptedCalls === undefined)))
    ) {
      const answer = defaultAnswer(request, user, ctx)
      const json = toolCalls.length === 0 ? structured(request, answer) : undefined
      const body: Body = script?.text !== undefined
        ? { text: script.text, citations: [] }
        : json !== undefined
        ? { text: json, citations: [] }
        : searched
        ? searchBody(user, prefix + serverTools(request, ctx))
        : { text: prefix + serverTools(request, ctx) + answer, citations: [] }
      content = body.text
      citations = script?.citations !== undefined ? scriptedCitations(body.text, script.citations) : body.citations
      contentTokens = Tokens.tokenize(content)
    }
    if (toolCalls.length > 0) finishReason = "tool_calls"
    if (budget !== undefined && budget !== null) {
      if (reasoning !== undefined && reasoning.length > budget) reasoning = reasoning.slice(0, budget)
      const left = Math.max(0, budget - (reasoning?.length ?? 0))
      if (contentTokens.length > left) {
        contentTokens = contentTokens.slice(0, left)
        content = contentTokens.join("")
        citations = citations.filter((c) => c.end <= content!.length)
        finishReason = "length"
      }
    }
    if (script?.finishReason !== undefined) finishReason = script.finishReason
    const callTokens = toolCalls.reduce((acc, c) => acc + 4 + Tokens.estimate(c.arguments), 0)
    const refusalTokens = refusal === undefined ? 0 : Tokens.tokenize(refusal).length
    reasoningTokens += reasoning?.length ?? 0
    completionTokens += contentTokens.length + (reasoning?.length ?? 0) + callTokens + refusalTokens
    choices.push({ index, content, contentTokens, reasoning, refusal, toolCalls, citations, finishReason })
  }
  const prompt = promptTokens(request)
  const usage: Record<string, unknown> = {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
    prompt_tokens_details: { cached_tokens: ctx.cached ? prompt : 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0
    },
    nexos_credits_cost: round(prompt * 0.0000025 + completionTokens * 0.00001),
    ...script?.usage
  }
  return {
    id: ctx.id,
    created: ctx.created,
    model: request.model,
    choices,
    usage,
    logprobs: request.logprobs === true ? request.top_logprobs ?? 0 : undefined
  }
}
