/**
 * Bounds on what is copied from a response into an error: a large body becomes an excerpt, headers are capped in
 * number and length (the ones a caller acts on are kept first), so an error never holds megabytes.
 *
 * @since 0.1.0
 */

/** @internal */
export const excerptChars = 512

/** Bodies up to this many characters are kept whole (parsed when JSON); larger ones become an excerpt. @internal */
export const maxBodyChars = 8 * 1024

/** @internal */
export const maxHeaders = 64

/** @internal */
export const maxHeaderChars = 1024

/** The first `limit` characters of a text, then a mark with its full length. @internal */
export const excerpt = (text: string, limit: number): string =>
  text.length > limit ? `${text.slice(0, limit)}… (${text.length} chars)` : text

/** The parsed body when its text is small, else an excerpt of the text. @internal */
export const body = (parsed: unknown, text: string): unknown =>
  text.length <= maxBodyChars ? parsed : excerpt(text, 4 * excerptChars)

const important =
  /^(x-request-id|request-id|retry-after|retry-after-ms|x-should-retry|location|content-type|x-nexos-|x-ratelimit-|x-rate-limit-)/

/** At most `maxHeaders` headers (request id, retry, rate-limit and nexos headers first), each value bounded. @internal */
export const headers = (all: Readonly<Record<string, string>>): Record<string, string> => {
  const names = Object.keys(all)
  const small = names.length <= maxHeaders && names.every((name) => all[name]!.length <= maxHeaderChars)
  if (small) return all as Record<string, string>
  const out: Record<string, string> = {}
  let count = 0
  for (const pass of [true, false]) {
    for (const name of names) {
      if (count >= maxHeaders) return out
      if (important.test(name) !== pass || name in out) continue
      out[name] = excerpt(all[name]!, maxHeaderChars)
      count++
    }
  }
  return out
}
