const tokenPattern = / ?[A-Za-z]{1,8}| ?\d{1,3}| ?[^\sA-Za-z\d]|\s+/gu

/** Splits text into token-sized pieces whose concatenation is the text. */
export const tokenize = (text: string): Array<string> => text.match(tokenPattern) ?? []

/** A cheap token estimate for prompts. */
export const estimate = (text: string): number => Math.ceil(text.length / 4)

const words = [
  "The",
  " mock",
  " gateway",
  " streams",
  " this",
  " text",
  " in",
  " small",
  " pieces",
  " so",
  " clients",
  " can",
  " be",
  " tested",
  " without",
  " a",
  " network",
  "."
]

/** Deterministic filler of exactly `count` tokens. */
export const filler = (count: number): Array<string> => {
  const out = new Array<string>(count)
  for (let i = 0; i < count; i++) {
    const word = words[i % words.length]
    out[i] = i === 0 ? word.trimStart() : i % words.length === 0 ? ` ${word}` : word
  }
  return out
}

/** Splits a string into fragments of at most `size` code points. */
export const fragments = (text: string, size = 8): Array<string> => {
  const out: Array<string> = []
  let current = ""
  let n = 0
  for (const ch of text) {
    current += ch
    if (++n === size) {
      out.push(current)
      current = ""
      n = 0
    }
  }
  if (current !== "" || out.length === 0) out.push(current)
  return out
}
