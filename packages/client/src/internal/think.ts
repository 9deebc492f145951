/**
 * Post-processing of answer text as the nexos Python SDK does it (nexos-api.md section 8), but explicit: an
 * incremental splitter for inline `<think>...</think>` sections whose tags may be split across fragments, and the
 * extraction of markdown links as url citations.
 *
 * @since 0.1.0
 */
import type * as Annotation from "@nexos-effect/schema/Annotation"

const OPEN = "<think>"
const CLOSE = "</think>"

const partialTagSuffix = (s: string, tag: string): number => {
  const max = Math.min(tag.length - 1, s.length)
  for (let k = max; k > 0; k--) {
    if (s.endsWith(tag.slice(0, k))) return k
  }
  return 0
}

/**
 * Splits text fragments into outside (answer) and inside (thinking) pieces. Keeps at most `"</think>".length - 1`
 * characters back at a fragment's end while they could start a tag. A `</think>` outside a section is dropped.
 * Leading whitespace of the answer and of the thinking is dropped, so the pieces concatenate to the trimmed
 * sections (up to trailing whitespace).
 *
 * @internal
 */
export class ThinkSplitter {
  inside = false
  private pending = ""
  private contentStarted = false
  private thinkingStarted = false

  /** Returns the pieces of a fragment: `[isThinking, text]` pairs, in order, never empty. */
  push(fragment: string): Array<readonly [boolean, string]> {
    const out: Array<readonly [boolean, string]> = []
    let s = this.pending.length === 0 ? fragment : this.pending + fragment
    this.pending = ""
    while (s.length > 0) {
      const open = this.inside ? -1 : s.indexOf(OPEN)
      const close = s.indexOf(CLOSE)
      const i = open === -1 ? close : close === -1 ? open : Math.min(open, close)
      if (i !== -1) {
        this.emit(out, s.slice(0, i))
        const tag = i === open ? OPEN : CLOSE
        this.inside = tag === OPEN
        s = s.slice(i + tag.length)
        continue
      }
      const k = Math.max(partialTagSuffix(s, CLOSE), this.inside ? 0 : partialTagSuffix(s, OPEN))
      this.emit(out, k === 0 ? s : s.slice(0, s.length - k))
      this.pending = k === 0 ? "" : s.slice(s.length - k)
      break
    }
    return out
  }

  /** Returns what was held back (at the end of the text). */
  flush(): Array<readonly [boolean, string]> {
    const out: Array<readonly [boolean, string]> = []
    const rest = this.pending
    this.pending = ""
    if (rest.length > 0) this.emit(out, rest)
    return out
  }

  private emit(out: Array<readonly [boolean, string]>, text: string): void {
    if (text.length === 0) return
    if (!(this.inside ? this.thinkingStarted : this.contentStarted)) {
      text = text.trimStart()
      if (text.length === 0) return
      if (this.inside) this.thinkingStarted = true
      else this.contentStarted = true
    }
    out.push([this.inside, text])
  }
}

/** @internal */
export const splitThinking = (text: string): { readonly content: string; readonly thinking: string } => {
  if (!text.includes(OPEN) && !text.includes(CLOSE)) return { content: text, thinking: "" }
  const splitter = new ThinkSplitter()
  let content = ""
  let thinking = ""
  for (const [inside, piece] of [...splitter.push(text), ...splitter.flush()]) {
    if (inside) thinking += piece
    else content += piece
  }
  return { content: content.trim(), thinking: thinking.trim() }
}

const markdownLink = /(!?)\[([^[\]\n]*)\]\(([^()\s]+)\)/g

/** @internal */
export const extractMarkdownCitations = (
  text: string
): { readonly content: string; readonly annotations: ReadonlyArray<Annotation.Annotation> } => {
  const annotations: Array<Annotation.Annotation> = []
  const seen = new Set<string>()
  let found = false
  const content = text.replace(markdownLink, (match, bang: string, title: string, url: string) => {
    if (bang === "!") return match
    found = true
    const key = `${url}\u0000${title}`
    if (!seen.has(key)) {
      seen.add(key)
      annotations.push({ type: "url_citation", url_citation: { title, url } })
    }
    return ""
  })
  return { content: found ? content.trim() : text, annotations }
}
