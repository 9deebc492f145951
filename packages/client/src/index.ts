/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Batch from "./Batch.js"

/**
 * @since 0.1.0
 */
export * as ChatEvent from "./ChatEvent.js"

/**
 * @since 0.1.0
 */
export * as ChatStream from "./ChatStream.js"

/**
 * @since 0.1.0
 */
export * as NexosClient from "./NexosClient.js"

/**
 * @since 0.1.0
 */
export * as NexosError from "./NexosError.js"

/**
 * @since 0.1.0
 */
export * as PartialJson from "./PartialJson.js"

/**
 * @since 0.1.0
 */
export * as ResponseMeta from "./ResponseMeta.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 0.1.0
 */
export * as StrictSchema from "./StrictSchema.js"

/**
 * @since 0.1.0
 */
export * as StructuredOutput from "./StructuredOutput.js"

/**
 * @since 0.1.0
 */
export * as Upload from "./Upload.js"
