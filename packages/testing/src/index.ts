/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Fault from "./Fault.js"

/**
 * @since 0.1.0
 */
export * as MockGateway from "./MockGateway.js"

/**
 * @since 0.1.0
 */
export * as Recorder from "./Recorder.js"

/**
 * @since 0.1.0
 */
export * as Reply from "./Reply.js"
