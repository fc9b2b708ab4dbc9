import { z } from '@hono/zod-openapi'
import { TASK_ERROR_CODES } from '../../db/schema'
import { ChatMessageSchema, ChatSessionSchema } from './chat-shapes'

/**
 * The frames of the user event stream (`/api/ws`), declared once: the hub and every publisher
 * type their events with these, tests parse received frames with `UserEventSchema`, and the
 * OpenAPI document carries them as the `UserEvent` component.
 */
const at = z.string().openapi({ format: 'date-time', description: 'When the server sent the frame' })
const event = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data, ts: at })

export const ConnectedEvent = event(
  'connected',
  z.object({ userId: z.string(), devices: z.number().int().openapi({ description: 'Sockets of this user now open' }) }),
)
export const AuthOkEvent = event('auth.ok', z.object({ expiresAt: z.string().openapi({ format: 'date-time' }) }))
export const SocketErrorEvent = event('error', z.object({ code: z.literal('UNAUTHORIZED'), error: z.string() }))
export const TaskProgressEvent = event(
  'task.progress',
  z.object({ taskId: z.string(), progress: z.number(), status: z.string() }),
)
export const TaskCompletedEvent = event(
  'task.completed',
  z.object({ taskId: z.string(), images: z.array(z.unknown()).openapi({ description: 'The result images, as `GET /api/images/{id}` shows them' }) }),
)
export const TaskFailedEvent = event(
  'task.failed',
  z.object({
    taskId: z.string(),
    error: z.string().nullable(),
    status: z.string(),
    errorCode: z.enum(TASK_ERROR_CODES).nullable().openapi({ description: 'Why it failed (GENERATION_FAILED or CONTENT_VIOLATION); null when canceled' }),
  }),
)
export const CreditsChangedEvent = event('credits.changed', z.object({ balance: z.number().int() }))
/** Failed sign-ins on the account in the last `windowMinutes` (sent at 5, 20, then every 100). */
export const LoginFailuresEvent = event(
  'security.login_failures',
  z.object({ failedAttempts: z.number().int(), windowMinutes: z.number().int(), throttled: z.boolean() }),
)

const Actor = z.object({ id: z.string(), username: z.string(), avatarUrl: z.string().nullable() })
/**
 * Social events for the owner of a work or profile. Never sent for one's own actions. Bursts are
 * coalesced: within a short window the owner gets one frame per work (or profile) carrying the
 * current count and the latest actor, not one frame per like.
 */
export const WorkLikedEvent = event(
  'work.liked',
  z.object({ workId: z.string(), likesCount: z.number().int(), by: Actor.openapi({ description: 'The latest user who liked it' }) }),
)
export const WorkCommentedEvent = event(
  'work.commented',
  z.object({
    workId: z.string(),
    commentsCount: z.number().int(),
    comment: z.object({ id: z.string(), text: z.string(), author: Actor, createdAt: z.string() }).openapi({ description: 'The latest comment' }),
  }),
)
export const WorkReviewedEvent = event(
  'work.reviewed',
  z.object({
    workId: z.string(),
    reviewStatus: z.enum(['approved', 'rejected']),
    reason: z.string().nullable(),
    code: z.literal('CONTENT_VIOLATION').nullable().openapi({ description: 'Set when the work was rejected' }),
  }),
)
export const UserFollowedEvent = event(
  'user.followed',
  z.object({ followersCount: z.number().int(), by: Actor.openapi({ description: 'The latest follower' }) }),
)

/**
 * The AI editor's chat sessions and messages, sent to every device of their owner. An edit is
 * `message.updated` carrying the new version (its `editedOf` is the id it replaces); message
 * events also carry the session with its counters after the change.
 */
const sessionEvent = <T extends string>(type: T) => event(type, z.object({ session: ChatSessionSchema }))
const messageEvent = <T extends string>(type: T) => event(type, z.object({ message: ChatMessageSchema, session: ChatSessionSchema }))
export const SessionCreatedEvent = sessionEvent('session.created')
export const SessionUpdatedEvent = sessionEvent('session.updated')
export const SessionDeletedEvent = sessionEvent('session.deleted')
export const MessageCreatedEvent = messageEvent('message.created')
export const MessageUpdatedEvent = messageEvent('message.updated')
export const MessageDeletedEvent = messageEvent('message.deleted')

export const UserEventSchema = z
  .discriminatedUnion('type', [
    ConnectedEvent,
    AuthOkEvent,
    SocketErrorEvent,
    TaskProgressEvent,
    TaskCompletedEvent,
    TaskFailedEvent,
    CreditsChangedEvent,
    LoginFailuresEvent,
    WorkLikedEvent,
    WorkCommentedEvent,
    WorkReviewedEvent,
    UserFollowedEvent,
    SessionCreatedEvent,
    SessionUpdatedEvent,
    SessionDeletedEvent,
    MessageCreatedEvent,
    MessageUpdatedEvent,
    MessageDeletedEvent,
  ])
  .openapi('UserEvent', { description: 'A server frame on `/api/ws`: `{type, data, ts}`' })

export type UserEventFrame = z.infer<typeof UserEventSchema>
export type UserEventType = UserEventFrame['type']

type WithoutTs<T> = T extends unknown ? Omit<T, 'ts'> : never
/** A frame before it is stamped with `ts`. */
export type UserEventInput = WithoutTs<UserEventFrame>

/** The events features publish to every device of a user (the others belong to the socket itself). */
export type UserEvent = Extract<
  UserEventInput,
  {
    type:
      | 'task.progress'
      | 'task.completed'
      | 'task.failed'
      | 'credits.changed'
      | 'security.login_failures'
      | 'work.liked'
      | 'work.commented'
      | 'work.reviewed'
      | 'user.followed'
      | 'session.created'
      | 'session.updated'
      | 'session.deleted'
      | 'message.created'
      | 'message.updated'
      | 'message.deleted'
  }
>

/** Frames a client sends: a keep-alive, or a fresh access token for the open socket. */
export const UserClientFrameSchema = z
  .discriminatedUnion('type', [z.object({ type: z.literal('ping') }), z.object({ type: z.literal('auth'), token: z.string() })])
  .openapi('UserClientFrame')

export const ConnectUserSocketQuery = z.object({
  token: z.string().optional().openapi({ description: 'An access token; without it, send an `auth` frame first (within 5 s)' }),
})
