import type { ChoicePlan, CitationPlan, Plan } from "./generate.js"
import * as Tokens from "./tokens.js"

const annotation = (c: CitationPlan) => ({
  type: "url_citation",
  url_citation: {
    start_index: c.start,
    end_index: c.end,
    url: c.url,
    ...(c.title === undefined ? {} : { title: c.title })
  }
})

const encoder = new TextEncoder()

const logprob = (token: string, j: number, top: number) => {
  const value = -Number(((j % 10) * 0.013 + 0.0001).toFixed(4))
  const bytes = Array.from(encoder.encode(token))
  const alternatives = []
  for (let k = 0; k < top; k++) {
    alternatives.push(
      k === 0 ? { token, logprob: value, bytes } : {
        token: `${token}${k}`,
        logprob: value - k,
        bytes: Array.from(encoder.encode(`${token}${k}`))
      }
    )
  }
  return { token, logprob: value, bytes, top_logprobs: alternatives }
}

const toolCallJson = (c: { readonly id: string; readonly name: string; readonly arguments: string }) => ({
  id: c.id,
  type: "function",
  function: { name: c.name, arguments: c.arguments }
})

/** The non-streaming response body. */
export const completionJson = (plan: Plan): string =>
  JSON.stringify({
    id: plan.id,
    object: "chat.completion",
    created: plan.created,
    model: plan.model,
    choices: plan.choices.map((c) => ({
      index: c.index,
      message: {
        role: "assistant",
        content: c.content,
        refusal: c.refusal ?? null,
        ...(c.reasoning === undefined ? {} : { reasoning_content: c.reasoning.join("") }),
        ...(c.toolCalls.length === 0 ? {} : { tool_calls: c.toolCalls.map(toolCallJson) }),
        annotations: c.citations.map(annotation)
      },
      logprobs: plan.logprobs === undefined
        ? null
        : { content: c.contentTokens.map((t, j) => logprob(t, j, plan.logprobs!)), refusal: null },
      finish_reason: c.finishReason
    })),
    usage: plan.usage,
    service_tier: "default",
    system_fingerprint: "fp_mock"
  })

const choiceDeltas = (c: ChoicePlan, top: number | undefined): Array<string> => {
  const head = `{"index":${c.index},"delta":`
  const plain = `,"logprobs":null,"finish_reason":null}`
  const out: Array<string> = []
  out.push(`${head}{"role":"assistant","content":${c.content === null ? "null" : "\"\""}}${plain}`)
  if (c.reasoning !== undefined) {
    for (const t of c.reasoning) out.push(`${head}{"reasoning_content":${JSON.stringify(t)}}${plain}`)
  }
  const tokens = c.contentTokens
  for (let j = 0; j < tokens.length; j++) {
    const delta = `${head}{"content":${JSON.stringify(tokens[j])}}`
    out.push(
      top === undefined
        ? delta + plain
        : `${delta},"logprobs":${
          JSON.stringify({ content: [logprob(tokens[j], j, top)], refusal: null })
        },"finish_reason":null}`
    )
  }
  if (c.refusal !== undefined) {
    for (const t of c.refusal.match(/ ?\S+|\s+/g) ?? []) out.push(`${head}{"refusal":${JSON.stringify(t)}}${plain}`)
  }
  c.toolCalls.forEach((call, k) => {
    out.push(
      `${head}{"tool_calls":[{"index":${k},"id":${JSON.stringify(call.id)},"type":"function","function":{"name":${
        JSON.stringify(call.name)
      },"arguments":""}}]}${plain}`
    )
    for (const fragment of Tokens.fragments(call.arguments)) {
      out.push(`${head}{"tool_calls":[{"index":${k},"function":{"arguments":${JSON.stringify(fragment)}}}]}${plain}`)
    }
  })
  if (c.citations.length > 0) out.push(`${head}{"annotations":${JSON.stringify(c.citations.map(annotation))}}${plain}`)
  out.push(`${head}{},"logprobs":null,"finish_reason":${JSON.stringify(c.finishReason)}}`)
  return out
}

/** The stream as SSE events (`data: ...\n\n`), choices interleaved, ending with the usage chunk and `[DONE]`. */
export const chunkEvents = (plan: Plan, includeUsage: boolean): Array<string> => {
  const head = `data: {"id":${
    JSON.stringify(plan.id)
  },"object":"chat.completion.chunk","created":${plan.created},"model":${
    JSON.stringify(plan.model)
  },"service_tier":"default","system_fingerprint":"fp_mock","choices":[`
  const tail = includeUsage ? `],"usage":null}\n\n` : `]}\n\n`
  const perChoice = plan.choices.map((c) => choiceDeltas(c, plan.logprobs))
  const longest = perChoice.reduce((m, d) => Math.max(m, d.length), 0)
  const events: Array<string> = []
  for (let j = 0; j < longest; j++) {
    for (const deltas of perChoice) if (j < deltas.length) events.push(head + deltas[j] + tail)
  }
  if (includeUsage) events.push(`${head}],"usage":${JSON.stringify(plan.usage)}}\n\n`)
  events.push("data: [DONE]\n\n")
  return events
}
