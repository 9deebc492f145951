/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Agents from "./Agents.js"

/**
 * @since 0.1.0
 */
export * as Annotation from "./Annotation.js"

/**
 * @since 0.1.0
 */
export * as ApiError from "./ApiError.js"

/**
 * @since 0.1.0
 */
export * as ApiKeys from "./ApiKeys.js"

/**
 * @since 0.1.0
 */
export * as Audio from "./Audio.js"

/**
 * @since 0.1.0
 */
export * as Batches from "./Batches.js"

/**
 * @since 0.1.0
 */
export * as ChatCompletion from "./ChatCompletion.js"

/**
 * @since 0.1.0
 */
export * as ChatCompletionChunk from "./ChatCompletionChunk.js"

/**
 * @since 0.1.0
 */
export * as ChatCompletionRequest from "./ChatCompletionRequest.js"

/**
 * @since 0.1.0
 */
export * as ContentPart from "./ContentPart.js"

/**
 * @since 0.1.0
 */
export * as Embeddings from "./Embeddings.js"

/**
 * @since 0.1.0
 */
export * as Files from "./Files.js"

/**
 * @since 0.1.0
 */
export * as FinishReason from "./FinishReason.js"

/**
 * @since 0.1.0
 */
export * as Images from "./Images.js"

/**
 * @since 0.1.0
 */
export * as Logprobs from "./Logprobs.js"

/**
 * @since 0.1.0
 */
export * as ModelFallbacks from "./ModelFallbacks.js"

/**
 * @since 0.1.0
 */
export * as Models from "./Models.js"

/**
 * @since 0.1.0
 */
export * as ToolCall from "./ToolCall.js"

/**
 * @since 0.1.0
 */
export * as Usage from "./Usage.js"
