import { z } from '@hono/zod-openapi'
import { CHAT_MESSAGE_STATUSES, CHAT_ROLES } from '../../db/schema'
import { heldImageSchema } from '../../lib/openapi'

/**
 * The AI editor's chat session and message as the API shows them. Declared here, beside the user
 * events that carry them (`session.*`, `message.*`), so the hub's event schemas need no import
 * from the editor feature (which publishes through the hub); the editor's routes use these same
 * schemas as their response components.
 */

export const ChatSessionSchema = z
  .object({
    id: z.string(),
    title: z.string().nullable().openapi({ description: 'Null until you name it or the first message titles it' }),
    titleSetByUser: z.boolean().openapi({ description: 'You chose the title (create or rename): messages never change it' }),
    messageCount: z.number().int().openapi({ description: 'Current messages: not deleted, not replaced by an edit' }),
    lastMessageAt: z.string().nullable().openapi({ description: 'When the newest current message was written (an edit counts); null when none' }),
    createdAt: z.string(),
    updatedAt: z.string().openapi({ description: 'Last change of the session itself (title, deletion)' }),
    deletedAt: z.string().nullable().openapi({ description: 'Set on the answer of DELETE and in `session.deleted` events; never on a live session' }),
  })
  .openapi('ChatSession', {
    example: {
      id: 'chs_0k2m9q1x3z4b7n4k8p0w2c5d',
      title: 'Make the sky a warm sunset',
      titleSetByUser: false,
      messageCount: 4,
      lastMessageAt: '2026-03-01T10:05:00.000Z',
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:01.000Z',
      deletedAt: null,
    },
  })
export type ChatSessionDto = z.infer<typeof ChatSessionSchema>

export const ChatImageSchema = heldImageSchema({
  thumb: 'Signed URL, longest side ≤ 256, WebP',
  preview: 'Signed URL, longest side ≤ 1600, WebP',
  original: 'Signed URL, metadata-free',
})
  .openapi('ChatImage', {
    description:
      "An image of a message with the message's own signed URLs (`/api/messages/{id}/images/{imageId}/{variant}`): they work " +
      'while the message holds the image, even after it was deleted from the library, and end with the message.',
  })

export const ChatMessageSchema = z
  .object({
    id: z.string().openapi({ description: 'This version of the message' }),
    sessionId: z.string(),
    seq: z.number().int().openapi({ description: 'Place in the session from 1, shared by every version of one message; `after=` pages by it' }),
    version: z.number().int().openapi({ description: '1 for the original, +1 for each edit' }),
    role: z.enum(CHAT_ROLES),
    text: z.string().openapi({ description: 'Plain text (may be empty when the message has images): render as text, never as HTML' }),
    params: z.record(z.string(), z.unknown()).nullable(),
    imageIds: z.array(z.string()),
    images: z.array(ChatImageSchema).openapi({ description: 'The images of `imageIds`, in that order' }),
    taskId: z.string().nullable(),
    status: z.enum(CHAT_MESSAGE_STATUSES).openapi({ description: '`none` for user messages; an assistant reply goes `pending` → `done` | `failed`' }),
    error: z.string().nullable(),
    editedOf: z.string().nullable().openapi({ description: 'The id of the version this one replaces (null for an original)' }),
    supersededBy: z.string().nullable().openapi({ description: 'The id of the version that replaced this one (null while current)' }),
    createdAt: z.string().openapi({ description: 'When this version was written' }),
    updatedAt: z.string(),
    deletedAt: z.string().nullable().openapi({ description: 'Set on the answer of DELETE and in `message.deleted` events' }),
  })
  .openapi('ChatMessage', {
    example: {
      id: 'msg_0k2m9q1x3z8f3k2m9q1x5v7b',
      sessionId: 'chs_0k2m9q1x3z4b7n4k8p0w2c5d',
      seq: 1,
      version: 1,
      role: 'user',
      text: 'Make the sky a warm sunset',
      params: { strength: 0.6 },
      imageIds: ['img_2b7x9q4m1k'],
      images: [
        {
          id: 'img_2b7x9q4m1k',
          mime: 'image/jpeg',
          width: 4000,
          height: 3000,
          thumbhash: '1QcSHQRnh493V4dIh4eXh1h4kJUI',
          variants: {
            thumb: '/api/messages/msg_0k2m9q1x3z8f3k2m9q1x5v7b/images/img_2b7x9q4m1k/thumb?exp=1772409600&sig=Qm9vdGg',
            preview: '/api/messages/msg_0k2m9q1x3z8f3k2m9q1x5v7b/images/img_2b7x9q4m1k/preview?exp=1772409600&sig=UHJldmlldw',
            original: '/api/messages/msg_0k2m9q1x3z8f3k2m9q1x5v7b/images/img_2b7x9q4m1k/original?exp=1772409600&sig=T3JpZ2luYWw',
          },
        },
      ],
      taskId: null,
      status: 'none',
      error: null,
      editedOf: null,
      supersededBy: null,
      createdAt: '2026-03-01T10:05:00.000Z',
      updatedAt: '2026-03-01T10:05:00.000Z',
      deletedAt: null,
    },
  })
export type ChatMessageDto = z.infer<typeof ChatMessageSchema>
