/**
 * Small helpers shared by the driver, the variant processes and the server. Node built-ins only, so loading this
 * module costs nothing in the "first stream" figures.
 */
const argv = process.argv.slice(2)

export const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}

export const stringFlag = (name: string, fallback: string): string => flag(name) ?? fallback

export const numberFlag = (name: string, fallback: number): number => {
  const value = flag(name)
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${value}`)
  return n
}

export const hasFlag = (name: string): boolean => argv.includes(`--${name}`)

/** Milliseconds from a monotonic clock. */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6

export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const m = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
}

export const mean = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length

export const MiB = 1024 * 1024

/** `process.resourceUsage().maxRSS` is in KiB. */
export const maxRssMB = (): number => process.resourceUsage().maxRSS / 1024

export const rssMB = (): number => process.memoryUsage().rss / MiB
