/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as BatchJob from "./BatchJob.js"

/**
 * @since 0.1.0
 */
export * as BatchStore from "./BatchStore.js"
