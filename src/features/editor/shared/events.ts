import type { ChatMessageDto, ChatSessionDto } from '../../hub/chat-shapes'
import { publishToUser } from '../../hub/service'

/**
 * The editor's events to every device of the session's owner (`/api/ws`). Best effort: a failed
 * push is logged by the hub service and never fails the request (run them with `waitUntil`).
 */
export function publishSessionEvent(
  env: Env,
  userId: string,
  type: 'session.created' | 'session.updated' | 'session.deleted',
  session: ChatSessionDto,
): Promise<void> {
  return publishToUser(env, userId, { type, data: { session } })
}

export function publishMessageEvent(
  env: Env,
  userId: string,
  type: 'message.created' | 'message.updated' | 'message.deleted',
  message: ChatMessageDto,
  session: ChatSessionDto,
): Promise<void> {
  return publishToUser(env, userId, { type, data: { message, session } })
}
