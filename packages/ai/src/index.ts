/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as NexosLanguageModel from "./NexosLanguageModel.js"

/**
 * @since 0.1.0
 */
export * as NexosTool from "./NexosTool.js"

/**
 * @since 0.1.0
 */
export * as ToolLoop from "./ToolLoop.js"
