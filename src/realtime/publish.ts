import { errorText, log } from '../lib/logger'
/** Events the UserHub sends to every device of a user. */
export type UserEvent =
  | { type: 'task.progress'; data: { taskId: string; progress: number; status: string } }
  | { type: 'task.completed'; data: { taskId: string; images: unknown[] } }
  | { type: 'task.failed'; data: { taskId: string; error: string | null; status: string } }
  | { type: 'credits.changed'; data: { balance: number } }
  /** Failed sign-ins on the account in the last `windowMinutes` (sent at 5, 20, then every 100). */
  | { type: 'security.login_failures'; data: { failedAttempts: number; windowMinutes: number; throttled: boolean } }

/**
 * Pushes an event to the user's sockets. Best effort: a failed push is logged and never fails
 * the work that caused it (clients also poll `GET /api/tasks/:id`).
 */
export async function publishToUser(env: Env, userId: string, event: UserEvent): Promise<void> {
  try {
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(userId))
    await hub.publish({ ...event, ts: new Date().toISOString() })
  } catch (error) {
    log.warn('user event not delivered', { type: event.type, error: errorText(error) })
  }
}
