import * as Tool from "@effect/ai/Tool"
import type * as ChatCompletionRequest from "@nexos-effect/schema/ChatCompletionRequest"
import * as Either from "effect/Either"
import * as NexosTool from "../NexosTool.js"

/** The request's `tools` for `@effect/ai` tools: function tools with their JSON Schema, nexos tools as the API wants. */
export const requestTools = (
  tools: Iterable<Tool.Any>
): Either.Either<Array<ChatCompletionRequest.Tool>, NexosTool.InvalidToolArgs> => {
  const out: Array<ChatCompletionRequest.Tool> = []
  for (const tool of tools) {
    if (Tool.isProviderDefined(tool)) {
      const wire = NexosTool.toRequestTool(tool)
      if (wire === undefined) {
        return Either.left(
          new NexosTool.InvalidToolArgs({
            message:
              `The tool ${tool.name} (${
                (tool as unknown as { readonly id: string }).id
              }) is another provider's tool: ` +
              "nexos runs web_search, rag and tika_ocr (NexosTool)",
            tool: tool.name,
            issues: []
          })
        )
      }
      if (wire instanceof NexosTool.InvalidToolArgs) return Either.left(wire)
      out.push(wire)
      continue
    }
    const description = Tool.getDescription(tool as Tool.Tool<string, never>)
    out.push({
      type: "function",
      function: {
        name: tool.name,
        ...(description === undefined ? {} : { description }),
        parameters: Tool.getJsonSchema(tool as Tool.Tool<string, never>) as object
      }
    })
  }
  return Either.right(out)
}
