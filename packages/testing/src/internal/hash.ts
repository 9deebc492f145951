import * as Crypto from "node:crypto"

const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

/** JSON text with object keys sorted, so equal values hash equally whatever the key order. */
export const canonicalJson = (value: unknown): string => JSON.stringify(canonical(value))

/** The body as hashed: canonical JSON when it parses, the text itself otherwise. */
export const canonicalBody = (text: string): string => {
  if (text === "") return ""
  try {
    return canonicalJson(JSON.parse(text))
  } catch {
    return text
  }
}

/** The part of a path the gateway sees, from its last `/v1/` on (so base URLs with a prefix still match). */
export const apiPath = (pathAndQuery: string): string => {
  const at = pathAndQuery.lastIndexOf("/v1/")
  return at >= 0 ? pathAndQuery.slice(at) : pathAndQuery
}

/** The recording key of a request: a sha256 of method, API path and canonical body. */
export const requestKey = (method: string, pathAndQuery: string, body: string): string =>
  Crypto.createHash("sha256").update(`${method.toUpperCase()} ${apiPath(pathAndQuery)}\n${canonicalBody(body)}`)
    .digest("hex").slice(0, 32)

/** A stable hex digest. */
export const digest = (text: string, length = 16): string =>
  Crypto.createHash("sha256").update(text).digest("hex").slice(0, length)

/** A UUID-shaped id derived from a name. */
export const uuidFrom = (name: string): string => {
  const h = Crypto.createHash("sha256").update(name).digest("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** JSON text with every non-ASCII character escaped, so it can travel in an HTTP header. */
export const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
