/**
 * Why a failed task failed, as a machine code (`tasks.error_code`, a task's `errorCode`, the
 * `task.failed` event). Canceled tasks carry none.
 * - `CONTENT_VIOLATION`: the provider refused the content. Webhook/n8n flows say so explicitly
 *   (`errorCode: "CONTENT_VIOLATION"` in the failure callback) or with an error text that names a
 *   content refusal; Replicate reports it as a failed prediction whose error mentions NSFW or a
 *   safety checker / content filter. ComfyUI has no content filter: its errors are never this.
 * - `GENERATION_FAILED`: everything else (provider errors, bad output, retries exhausted, timeouts).
 */
import type { TaskErrorCode } from '../../db/schema'

export { TASK_ERROR_CODES, type TaskErrorCode } from '../../db/schema'

/** Words providers use when they refuse content (Replicate: "NSFW content detected…"). */
const CONTENT_REFUSAL = /\bnsfw\b|safety[ _-]?(checker|filter|system|violation)|content[ _-]?(policy|filter|violation|moderation)|flagged as sensitive/i

/** The code of a provider's error text: CONTENT_VIOLATION when it says the content was refused. */
export function errorCodeFromText(text: string | null | undefined): TaskErrorCode {
  return text && CONTENT_REFUSAL.test(text) ? 'CONTENT_VIOLATION' : 'GENERATION_FAILED'
}
