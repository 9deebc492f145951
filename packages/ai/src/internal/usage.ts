import type * as Usage from "@nexos-effect/schema/Usage"

const add = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : a + b

type Details = { readonly [key: string]: number | undefined }

const addDetails = <D extends Details>(a: D | undefined, b: D | undefined): D | undefined => {
  if (a === undefined) return b
  if (b === undefined) return a
  const out: Record<string, number | undefined> = { ...a }
  for (const key of Object.keys(b)) {
    const sum = add(a[key], b[key])
    if (sum !== undefined) out[key] = sum
  }
  return out as D
}

const round = (x: number): number => Number(x.toFixed(12))

/** The sum of two usages: tokens, details and nexos credits (credits only when some usage has them). */
export const sum = (a: Usage.Usage, b: Usage.Usage | undefined): Usage.Usage => {
  if (b === undefined) return a
  const credits = add(a.nexos_credits_cost, b.nexos_credits_cost)
  const completion = addDetails(a.completion_tokens_details, b.completion_tokens_details)
  const prompt = addDetails(a.prompt_tokens_details, b.prompt_tokens_details)
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
    ...(credits === undefined ? {} : { nexos_credits_cost: round(credits) }),
    ...(completion === undefined ? {} : { completion_tokens_details: completion }),
    ...(prompt === undefined ? {} : { prompt_tokens_details: prompt })
  }
}

export const zero: Usage.Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
