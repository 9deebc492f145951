/**
 * A tolerant, incremental parser for JSON text that is still arriving (a model's structured answer, tool call
 * arguments). Feed it fragments with `push`; `snapshot` gives the value so far: open objects and arrays hold what
 * is complete plus the value in progress, a string in progress is cut where the text ends, a property whose key or
 * value has not started yet is left out. Each character is read once, so parsing is linear in the whole text;
 * a snapshot copies only the objects and arrays still open (`openSize` elements), and returns the previous snapshot
 * unchanged (the same object) when nothing changed; closed subtrees are shared between snapshots. Text before the first `{` or `[`
 * (a code fence, a preamble) is skipped when the text does not start with a JSON value; text after the value is
 * ignored. Invalid JSON stops the parser (`failure`); the value stays what was read before the error.
 *
 * @since 0.1.0
 */

/**
 * An incremental parser (one per text).
 *
 * @since 0.1.0
 * @category models
 */
export interface Parser {
  /** Reads the next fragment of the text. */
  readonly push: (fragment: string) => void
  /** The value so far (`undefined` before any value started); the same object as before when nothing changed. */
  readonly snapshot: () => unknown
  /** How many elements the next `snapshot` copies (the sizes of the objects and arrays still open): snapshot when it
   * is small next to the text read since the last one, and the copies stay linear in the text. */
  readonly openSize: () => number
  /** True once a complete JSON value has been read. */
  readonly isDone: () => boolean
  /** Why the text is not JSON, once it is known not to be. */
  readonly failure: () => string | undefined
}

const NONE: unique symbol = Symbol("PartialJson/none")

interface Frame {
  readonly isArray: boolean
  readonly value: Array<unknown> | Record<string, unknown>
  key: string | undefined
  count: number
  phase: "key" | "colon" | "value" | "comma"
  dirty: boolean
  snap: unknown
  snapChild: unknown
}

const escapes: Record<string, string> = {
  "\"": "\"",
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t"
}
const numberComplete = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/
const numberPrefix = /^-?(?:0|[1-9]\d*)(?:\.\d+)?/

const setProperty = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  } else target[key] = value
}

const isWhitespace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9

class ParserImpl implements Parser {
  private readonly stack: Array<Frame> = []
  private root: unknown = NONE
  private started = false
  private skipping = false
  private done = false
  private failed: string | undefined = undefined
  private token: "string" | "key" | "number" | "literal" | undefined = undefined
  private text = ""
  private escape: string | undefined = undefined
  private open = 0

  readonly push = (fragment: string): void => {
    if (this.done || this.failed !== undefined) return
    const n = fragment.length
    let i = 0
    while (i < n && this.failed === undefined && !this.done) {
      if (this.token === "string" || this.token === "key") {
        i = this.readString(fragment, i)
        continue
      }
      const c = fragment.charCodeAt(i)
      if (this.token === "number") {
        if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69) {
          this.text += fragment[i]
          i++
          continue
        }
        if (!numberComplete.test(this.text)) return this.fail(`invalid number ${JSON.stringify(this.text)}`)
        this.token = undefined
        this.deliver(Number(this.text))
        continue
      }
      if (this.token === "literal") {
        this.text += fragment[i]
        i++
        this.literal()
        continue
      }
      i++
      if (isWhitespace(c)) continue
      if (!this.started) {
        if (
          this.skipping ||
          !(c === 123 || c === 91 || c === 34 || c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 ||
            c === 110)
        ) {
          this.skipping = c !== 123 && c !== 91
          if (this.skipping) continue
        }
        this.started = true
      }
      this.char(c, fragment[i - 1])
    }
  }

  readonly snapshot = (): unknown => {
    if (this.stack.length === 0) {
      if (this.root !== NONE) return this.root
      const scalar = this.partialScalar()
      return scalar === NONE ? undefined : scalar
    }
    return this.snapFrame(0)
  }

  readonly openSize = (): number => this.open

  readonly isDone = (): boolean => this.done

  readonly failure = (): string | undefined => this.failed

  private fail(reason: string): void {
    this.failed = reason
    this.token = undefined
  }

  private char(c: number, ch: string): void {
    const top = this.stack.length === 0 ? undefined : this.stack[this.stack.length - 1]
    if (top !== undefined && !top.isArray && (top.phase === "key" || top.phase === "colon")) {
      if (top.phase === "colon") {
        if (c === 58) top.phase = "value"
        else this.fail(`expected ':' after the key ${JSON.stringify(top.key)}`)
        return
      }
      if (c === 34) {
        this.token = "key"
        this.text = ""
      } else if (c === 125 && top.key === undefined && Object.keys(top.value).length === 0) this.close(top)
      else this.fail(`expected a property name, got '${ch}'`)
      return
    }
    if (top !== undefined && top.phase === "comma") {
      if (c === 44) {
        top.phase = top.isArray ? "value" : "key"
        if (!top.isArray) top.key = undefined
      } else if (c === (top.isArray ? 93 : 125)) this.close(top)
      else this.fail(`expected ',' or '${top.isArray ? "]" : "}"}', got '${ch}'`)
      return
    }
    switch (c) {
      case 123:
      case 91: {
        this.stack.push({
          isArray: c === 91,
          value: c === 91 ? [] : {},
          key: undefined,
          count: 0,
          phase: c === 91 ? "value" : "key",
          dirty: true,
          snap: undefined,
          snapChild: NONE
        })
        return
      }
      case 93:
        if (top !== undefined && top.isArray && top.value.length === 0) this.close(top)
        else this.fail("unexpected ']'")
        return
      case 34:
        this.token = "string"
        this.text = ""
        return
      case 116:
      case 102:
      case 110:
        this.token = "literal"
        this.text = ch
        return
      default:
        if (c === 45 || (c >= 48 && c <= 57)) {
          this.token = "number"
          this.text = ch
          return
        }
        this.fail(`unexpected '${ch}'`)
    }
  }

  private literal(): void {
    const t = this.text
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (word.startsWith(t)) {
        if (word.length === t.length) {
          this.token = undefined
          this.deliver(value)
        }
        return
      }
    }
    this.fail(`invalid literal ${JSON.stringify(t)}`)
  }

  private readString(s: string, start: number): number {
    let i = start
    const n = s.length
    if (this.escape !== undefined) {
      while (i < n && this.escape !== undefined) {
        this.escape += s[i++]
        this.resolveEscape()
      }
      return i
    }
    while (i < n) {
      const c = s.charCodeAt(i)
      if (c === 34) {
        this.text += s.slice(start, i)
        const value = this.text
        const isKey = this.token === "key"
        this.token = undefined
        if (isKey) {
          const top = this.stack[this.stack.length - 1]
          top.key = value
          top.phase = "colon"
        } else this.deliver(value)
        return i + 1
      }
      if (c === 92) {
        this.text += s.slice(start, i)
        this.escape = ""
        return i + 1
      }
      if (c < 32) {
        this.fail("a control character inside a string")
        return n
      }
      i++
    }
    this.text += s.slice(start, n)
    return n
  }

  private resolveEscape(): void {
    const e = this.escape!
    if (e[0] === "u") {
      if (e.length < 5) return
      if (!/^u[0-9a-fA-F]{4}$/.test(e)) return this.fail(`invalid escape \\${e}`)
      this.text += String.fromCharCode(parseInt(e.slice(1), 16))
    } else {
      const out = escapes[e]
      if (out === undefined) return this.fail(`invalid escape \\${e}`)
      this.text += out
    }
    this.escape = undefined
  }

  private deliver(value: unknown): void {
    const top = this.stack.length === 0 ? undefined : this.stack[this.stack.length - 1]
    if (top === undefined) {
      this.root = value
      this.done = true
      return
    }
    if (top.isArray) (top.value as Array<unknown>).push(value)
    else setProperty(top.value as Record<string, unknown>, top.key!, value)
    top.phase = "comma"
    top.dirty = true
    top.count++
    this.open++
  }

  private close(frame: Frame): void {
    this.stack.pop()
    this.open -= frame.count
    this.deliver(frame.value)
  }

  private partialScalar(): unknown {
    switch (this.token) {
      case "string":
        return this.text
      case "number": {
        const m = numberPrefix.exec(this.text)
        return m === null ? NONE : Number(m[0])
      }
      default:
        return NONE
    }
  }

  private snapFrame(i: number): unknown {
    const f = this.stack[i]
    const child = i + 1 < this.stack.length
      ? this.snapFrame(i + 1)
      : f.phase === "value" && (f.isArray || f.key !== undefined)
      ? this.partialScalar()
      : NONE
    if (!f.dirty && child === f.snapChild && f.snap !== undefined) return f.snap
    let copy: unknown
    if (f.isArray) {
      const a = (f.value as Array<unknown>).slice()
      if (child !== NONE) a.push(child)
      copy = a
    } else {
      const o = { ...(f.value as Record<string, unknown>) }
      if (child !== NONE && f.key !== undefined) setProperty(o, f.key, child)
      copy = o
    }
    f.snap = copy
    f.snapChild = child
    f.dirty = false
    return copy
  }
}

/**
 * A new incremental parser.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): Parser => new ParserImpl()

/**
 * The value of a (possibly incomplete) JSON text, as `make` + `push` + `snapshot` would give it.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): unknown => {
  const parser = make()
  parser.push(text)
  return parser.snapshot()
}
