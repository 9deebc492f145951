import * as Batch from "@nexos-effect/client/Batch"
import * as NexosError from "@nexos-effect/client/NexosError"
import type * as Files from "@nexos-effect/schema/Files"
import type * as Models from "@nexos-effect/schema/Models"
import type * as Usage from "@nexos-effect/schema/Usage"

export interface Sink {
  readonly write: (text: string) => void
  readonly isTTY: boolean
  readonly columns: number | undefined
  readonly color: boolean
}

const colorAllowed = (isTTY: boolean): boolean => isTTY && (process.env.NO_COLOR ?? "") === ""

export const sink = (stream: NodeJS.WriteStream): Sink => ({
  write: (text) => void stream.write(text),
  isTTY: stream.isTTY === true,
  columns: stream.isTTY === true ? stream.columns : undefined,
  color: colorAllowed(stream.isTTY === true)
})

export const stdout = (): Sink => sink(process.stdout)
export const stderr = (): Sink => sink(process.stderr)

export const dim = (out: Sink, text: string): string => out.color ? `\x1b[2m${text}\x1b[22m` : text
export const bold = (out: Sink, text: string): string => out.color ? `\x1b[1m${text}\x1b[22m` : text
export const red = (out: Sink, text: string): string => out.color ? `\x1b[31m${text}\x1b[39m` : text

export interface Footnote {
  readonly url: string
  readonly title?: string | undefined
}

export const footnotes = (citations: ReadonlyArray<Footnote>): ReadonlyArray<Footnote> => {
  const seen = new Map<string, Footnote>()
  for (const citation of citations) if (!seen.has(citation.url)) seen.set(citation.url, citation)
  return [...seen.values()]
}

export const renderFootnotes = (out: Sink, notes: ReadonlyArray<Footnote>): string =>
  notes.length === 0 ?
    "" :
    "\n" + notes.map((note, i) =>
      `[${i + 1}] ${note.title === undefined || note.title === "" ? "" : `${note.title} `}${dim(out, note.url)}\n`
    ).join("")

export const usageLine = (usage: Usage.Usage | undefined, requestId: string | undefined, model?: string): string => {
  const parts: Array<string> = []
  if (model !== undefined) parts.push(`model ${model}`)
  if (usage !== undefined) {
    parts.push(`tokens ${usage.prompt_tokens} in + ${usage.completion_tokens} out = ${usage.total_tokens}`)
    if (usage.nexos_credits_cost !== undefined) parts.push(`credits ${usage.nexos_credits_cost}`)
  }
  if (requestId !== undefined) parts.push(`request ${requestId}`)
  return parts.join(" · ")
}

const fit = (text: string, width: number): string =>
  text.length <= width ? text : text.slice(0, Math.max(0, width - 1)) + "…"

const perMillion = (perToken: string | undefined): string => {
  if (perToken === undefined) return "-"
  const value = Number(perToken)
  return Number.isFinite(value) ? `$${Number((value * 1_000_000).toPrecision(4))}` : perToken
}

const seconds = (ms: number | undefined): string => ms === undefined ? "-" : `${Number((ms / 1000).toPrecision(4))}s`

const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  columns: number | undefined
): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: ReadonlyArray<string>) => {
    const text = cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()
    return columns === undefined ? text : fit(text, columns)
  }
  return [line(header), ...rows.map(line)].join("\n") + "\n"
}

export const modelsTable = (list: Models.ModelList, columns: number | undefined): string =>
  table(
    ["MODEL", "OWNER", "CONTEXT", "MAX OUT", "IN $/M", "OUT $/M", "TIMEOUT", "STREAM TIMEOUT"],
    list.data.map((m) => [
      m.id,
      m.owned_by ?? "-",
      m.context_length === undefined ? "-" : String(m.context_length),
      m.max_tokens === undefined ? "-" : String(m.max_tokens),
      perMillion(m.pricing?.input_cost_per_token),
      perMillion(m.pricing?.output_cost_per_token),
      seconds(m.timeout_ms),
      seconds(m.stream_timeout_ms)
    ]),
    columns
  )

const isoDate = (epochSeconds: number | undefined): string =>
  epochSeconds === undefined ? "-" : new Date(epochSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z")

export const filesTable = (files: ReadonlyArray<Files.FileObject>, columns: number | undefined): string =>
  table(
    ["ID", "BYTES", "CREATED", "PURPOSE", "FILENAME"],
    files.map((f) => [
      f.id,
      f.bytes === undefined ? "-" : String(f.bytes),
      isoDate(f.created_at),
      f.purpose ?? "-",
      f.filename ?? "-"
    ]),
    columns
  )

export const describeError = (error: unknown): string => {
  if (NexosError.isNexosError(error)) {
    const id = NexosError.requestId(error)
    return `${error._tag}: ${error.message}` +
      (id === undefined ? "" : ` [request id ${id}]`)
  }
  if (
    error instanceof Batch.InputError || error instanceof Batch.StoreError || error instanceof Batch.DuplicateKey
  ) return `${error._tag}: ${error.message}`
  if (typeof error === "object" && error !== null && "_tag" in error && "message" in error) {
    return `${String(error._tag)}: ${String(error.message)}`
  }
  if (error instanceof Error) return error.message
  return String(error)
}
