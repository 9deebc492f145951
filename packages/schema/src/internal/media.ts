import * as Encoding from "effect/Encoding"

const startsWith = (bytes: Uint8Array, prefix: ReadonlyArray<number>, at = 0): boolean => {
  if (bytes.length < at + prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false
  return true
}

const ascii = (text: string): ReadonlyArray<number> => Array.from(text, (c) => c.charCodeAt(0))

/** The image media type of some bytes by their magic number (the types the chat API takes), or undefined. */
export const sniffImage = (bytes: Uint8Array): string | undefined => {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png"
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg"
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif"
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp"
  return undefined
}

/** The bytes as base64 text. */
export const base64 = (bytes: Uint8Array): string => Encoding.encodeBase64(bytes)

/** The bytes as a base64 `data:` URL. */
export const dataUrl = (mediaType: string, bytes: Uint8Array): string => `data:${mediaType};base64,${base64(bytes)}`

const dataUrlHead = /^data:([^;,]*)[^,]*,/

/** Why an image URL cannot be sent, or undefined when it can: a `data:` URL must hold image data. */
export const imageUrlProblem = (url: string): string | undefined => {
  if (!url.startsWith("data:")) return undefined
  const head = dataUrlHead.exec(url)
  if (head === null) return "must be a data URL of the form data:<media type>;base64,<data>"
  const mediaType = head[1].trim().toLowerCase()
  if (!mediaType.startsWith("image/")) {
    return `must be a data URL of an image (data:image/png;base64,...), got media type ${
      mediaType === "" ? "(none)" : mediaType
    }: give the media type (image(bytes, { mediaType })) when it cannot be detected from the bytes`
  }
  if (url.length === head[0].length) return "is a data URL without data"
  return undefined
}

const circularSafe = () => {
  const ancestors: Array<object> = []
  return function(this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === "bigint") return value.toString()
    if (typeof value !== "object" || value === null) return value
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
    if (ancestors.includes(value)) return "[Circular]"
    ancestors.push(value)
    return value
  }
}

/**
 * A tool result as message content: a string as it is, anything else as JSON text (`undefined` as `null`, bigints
 * as their digits, a reference cycle as `"[Circular]"`; a value whose `toJSON` throws as its `String` form).
 */
export const jsonContent = (value: unknown): string => {
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value, circularSafe()) ?? "null"
  } catch {
    return String(value)
  }
}
