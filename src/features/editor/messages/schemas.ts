import { z } from '@hono/zod-openapi'
import { ChatMessageSchema, ChatSessionSchema } from '../../hub/chat-shapes'
import { MESSAGE_IMAGE_VARIANTS } from '../shared/rows'
import { CHAT_LIMITS, ChatMessageIdParam, ChatParams, ChatText, OffsetPageQuery, PaginationBlock } from '../shared/schemas'

const ImageIds = z
  .array(z.string().min(1).max(64))
  .max(CHAT_LIMITS.images, `At most ${CHAT_LIMITS.images} images per message`)
  .transform((ids) => [...new Set(ids)])
  .openapi({ description: 'Up to 8 of your own images (from `POST /api/images/upload`); repeats count once', example: ['img_2b7x9q4m1k'] })

export const CreateMessageBody = z
  .object({
    role: z.literal('user').optional().openapi({ description: 'Only `user`: assistant replies come from generations' }),
    text: ChatText.optional(),
    imageIds: ImageIds.optional(),
    params: ChatParams.optional(),
    generate: z.unknown().optional().openapi({
      description: 'Not available yet (the next part of the editor): any value is refused with 400, never silently ignored',
    }),
  })
  .refine((body) => body.generate === undefined, { path: ['generate'], message: 'generate is not available yet: post the message without it' })
  .openapi('ChatMessageCreate', { example: { text: 'Make the sky a warm sunset', imageIds: ['img_2b7x9q4m1k'], params: { strength: 0.6 } } })
export type CreateMessageInput = z.output<typeof CreateMessageBody>

export const EditMessageBody = z
  .object({
    text: ChatText,
    params: ChatParams.nullable().optional().openapi({ description: 'Replaces the parameters (null clears them); omit to keep them' }),
  })
  .openapi('ChatMessageEdit', { example: { text: 'Make the sky a cool blue dusk' } })
export type EditMessageInput = z.output<typeof EditMessageBody>

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')

export const MessageListQuery = OffsetPageQuery.extend({
  after: z.coerce.number().int().min(0).optional().openapi({ description: 'Only messages with a greater `seq` (a cursor; wins over offset and page)', example: 12 }),
  includeEdits: flag.optional().openapi({ type: 'string', enum: ['true', 'false', '1', '0'], description: 'Also the versions replaced by edits (each in `seq`, then `version` order); default: current versions only' }),
})
export type MessageListInput = z.output<typeof MessageListQuery>

export const MessagePageSchema = z
  .object({
    items: z.array(ChatMessageSchema),
    pagination: PaginationBlock,
    nextAfter: z.number().int().openapi({ description: 'The `seq` to pass as `after` for what comes next (the last item\'s, else the cursor given, else 0)' }),
  })
  .openapi('ChatMessagePage')

export const MessageResultSchema = z.object({ message: ChatMessageSchema, session: ChatSessionSchema }).openapi('ChatMessageResult')

export const MessageDeletedSchema = z
  .object({
    deleted: z.literal(true),
    id: z.string(),
    ids: z.array(z.string()).openapi({ description: 'Every version deleted (the message and its edit history)' }),
    session: ChatSessionSchema,
  })
  .openapi('ChatMessageDeleted')

export const MessageImageParams = ChatMessageIdParam.extend({
  imageId: z.string().min(1).max(64).openapi({ param: { name: 'imageId', in: 'path' }, example: 'img_2b7x9q4m1k' }),
  variant: z.enum(MESSAGE_IMAGE_VARIANTS).openapi({ param: { name: 'variant', in: 'path' }, example: 'thumb' }),
})

export const MessageImageQuery = z.object({
  exp: z.string().max(20).optional().openapi({ description: 'Signed URL expiry (unix seconds), as in the message\'s `images[].variants`' }),
  sig: z.string().max(128).optional().openapi({ description: 'Signed URL signature, as in the message\'s `images[].variants`' }),
})
