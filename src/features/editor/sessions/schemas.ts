import { z } from '@hono/zod-openapi'
import { ChatSessionSchema } from '../../hub/chat-shapes'
import { ChatTitle, OffsetPageQuery, PaginationBlock } from '../shared/schemas'

export const CreateSessionBody = z
  .object({ title: ChatTitle.optional().openapi({ description: 'Omit to let the first message title it' }) })
  .openapi('ChatSessionCreate', { example: { title: 'Sunset edits' } })
export type CreateSessionInput = z.output<typeof CreateSessionBody>

export const RenameSessionBody = z.object({ title: ChatTitle }).openapi('ChatSessionRename', { example: { title: 'Harbour retouch' } })

export const SessionListQuery = OffsetPageQuery.extend({
  search: z.string().max(200).optional().openapi({
    description: 'Words that must all occur in the title or in one current message (full text, any language)',
    example: 'sunset',
  }),
})
export type SessionListInput = z.output<typeof SessionListQuery>

export const SessionEnvelopeSchema = z.object({ session: ChatSessionSchema }).openapi('ChatSessionResult')

export const SessionPageSchema = z.object({ items: z.array(ChatSessionSchema), pagination: PaginationBlock }).openapi('ChatSessionPage')
