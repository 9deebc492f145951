/**
 * An incremental JSON syntax checker for tool-call arguments that arrive in fragments. It keeps a few numbers and a
 * stack of open containers, never the text, so feeding fragments costs time linear in their total length. At any
 * point `complete` says exactly whether the text fed so far is one whole JSON value (what `JSON.parse` accepts),
 * which decides whether a fragment that names another call may start a new one.
 *
 * @since 0.1.0
 */

const enum S {
  Value,
  ArrayValueOrEnd,
  KeyOrEnd,
  Key,
  Colon,
  AfterValue,
  Str,
  Escape,
  Unicode,
  Minus,
  Zero,
  Int,
  Dot,
  Frac,
  Exp,
  ExpSign,
  ExpDigits,
  Literal,
  Done,
  Invalid
}

const OBJECT = 0
const ARRAY = 1

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)

/** @internal */
export class JsonProgress {
  private state: S = S.Value
  private readonly stack: Array<number> = []
  private key = false
  private pending = 0
  private literal = ""
  private literalAt = 0

  /** Whether the text fed so far is exactly one JSON value, with only whitespace around it. */
  get complete(): boolean {
    const s = this.state
    return s === S.Done ||
      (this.stack.length === 0 && (s === S.Zero || s === S.Int || s === S.Frac || s === S.ExpDigits))
  }

  feed(text: string): void {
    for (let i = 0; i < text.length && this.state !== S.Invalid; i++) this.step(text.charCodeAt(i))
  }

  private endValue(): void {
    this.state = this.stack.length === 0 ? S.Done : S.AfterValue
  }

  private value(c: number): S {
    switch (c) {
      case 0x7b:
        this.stack.push(OBJECT)
        return S.KeyOrEnd
      case 0x5b:
        this.stack.push(ARRAY)
        return S.ArrayValueOrEnd
      case 0x22:
        this.key = false
        return S.Str
      case 0x2d:
        return S.Minus
      case 0x30:
        return S.Zero
      case 0x74:
        return this.startLiteral("true")
      case 0x66:
        return this.startLiteral("false")
      case 0x6e:
        return this.startLiteral("null")
    }
    return isDigit(c) ? S.Int : S.Invalid
  }

  private startLiteral(word: string): S {
    this.literal = word
    this.literalAt = 1
    return S.Literal
  }

  private close(c: number): void {
    const top = this.stack[this.stack.length - 1]
    if ((c === 0x7d && top === OBJECT) || (c === 0x5d && top === ARRAY)) {
      this.stack.pop()
      this.endValue()
    } else {
      this.state = S.Invalid
    }
  }

  private afterNumber(c: number): void {
    this.endValue()
    this.step(c)
  }

  private step(c: number): void {
    switch (this.state) {
      case S.Value:
        if (!isSpace(c)) this.state = this.value(c)
        return
      case S.ArrayValueOrEnd:
        if (isSpace(c)) return
        if (c === 0x5d) this.close(c)
        else this.state = this.value(c)
        return
      case S.KeyOrEnd:
      case S.Key:
        if (isSpace(c)) return
        if (c === 0x22) {
          this.key = true
          this.state = S.Str
        } else if (c === 0x7d && this.state === S.KeyOrEnd) {
          this.close(c)
        } else {
          this.state = S.Invalid
        }
        return
      case S.Colon:
        if (isSpace(c)) return
        this.state = c === 0x3a ? S.Value : S.Invalid
        return
      case S.AfterValue:
        if (isSpace(c)) return
        if (c === 0x2c) this.state = this.stack[this.stack.length - 1] === OBJECT ? S.Key : S.Value
        else if (c === 0x7d || c === 0x5d) this.close(c)
        else this.state = S.Invalid
        return
      case S.Str:
        if (c === 0x22) {
          if (this.key) this.state = S.Colon
          else this.endValue()
        } else if (c === 0x5c) {
          this.state = S.Escape
        } else if (c < 0x20) {
          this.state = S.Invalid
        }
        return
      case S.Escape:
        if (c === 0x75) {
          this.pending = 4
          this.state = S.Unicode
        } else {
          const ok = c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e ||
            c === 0x72 || c === 0x74
          this.state = ok ? S.Str : S.Invalid
        }
        return
      case S.Unicode:
        if (!isHex(c)) this.state = S.Invalid
        else if (--this.pending === 0) this.state = S.Str
        return
      case S.Minus:
        this.state = c === 0x30 ? S.Zero : isDigit(c) ? S.Int : S.Invalid
        return
      case S.Zero:
        if (c === 0x2e) this.state = S.Dot
        else if (c === 0x65 || c === 0x45) this.state = S.Exp
        else this.afterNumber(c)
        return
      case S.Int:
        if (isDigit(c)) return
        if (c === 0x2e) this.state = S.Dot
        else if (c === 0x65 || c === 0x45) this.state = S.Exp
        else this.afterNumber(c)
        return
      case S.Dot:
        this.state = isDigit(c) ? S.Frac : S.Invalid
        return
      case S.Frac:
        if (isDigit(c)) return
        if (c === 0x65 || c === 0x45) this.state = S.Exp
        else this.afterNumber(c)
        return
      case S.Exp:
        this.state = c === 0x2b || c === 0x2d ? S.ExpSign : isDigit(c) ? S.ExpDigits : S.Invalid
        return
      case S.ExpSign:
        this.state = isDigit(c) ? S.ExpDigits : S.Invalid
        return
      case S.ExpDigits:
        if (!isDigit(c)) this.afterNumber(c)
        return
      case S.Literal:
        if (c !== this.literal.charCodeAt(this.literalAt)) this.state = S.Invalid
        else if (++this.literalAt === this.literal.length) this.endValue()
        return
      case S.Done:
        if (!isSpace(c)) this.state = S.Invalid
        return
      case S.Invalid:
        return
    }
  }
}
