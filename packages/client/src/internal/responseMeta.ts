import type * as ResponseMeta from "../ResponseMeta.js"

export const metaKey: unique symbol = Symbol.for("@nexos-effect/client/ResponseMeta")

export const unsafeGet = (value: object): ResponseMeta.ResponseMeta | undefined =>
  (value as { [metaKey]?: ResponseMeta.ResponseMeta })[metaKey]
