/**
 * Why a choice stopped. The wire value is kept as sent; `normalize` maps it onto the known reasons.
 *
 * @since 0.1.0
 */

/**
 * The finish reasons the library distinguishes; anything else is `"unknown"`.
 *
 * @since 0.1.0
 * @category models
 */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call" | "unknown"

const known: ReadonlySet<string> = new Set(["stop", "length", "tool_calls", "content_filter", "function_call"])

/**
 * Maps a raw wire value onto `FinishReason` (`"end_turn"`, `"eos"` and similar count as `"stop"`).
 *
 * @since 0.1.0
 * @category utils
 */
export const normalize = (raw: string): FinishReason => {
  if (known.has(raw)) return raw as FinishReason
  switch (raw) {
    case "end_turn":
    case "eos":
    case "stop_sequence":
    case "STOP":
      return "stop"
    case "max_tokens":
    case "MAX_TOKENS":
      return "length"
    case "tool_use":
    case "function_calls":
      return "tool_calls"
    case "SAFETY":
    case "content_filtered":
      return "content_filter"
    default:
      return "unknown"
  }
}
