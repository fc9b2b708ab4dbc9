import type { Db } from '../../../env'
import { notFound } from '../../../lib/errors'
import { respondWithObject } from '../../../lib/r2-response'
import { verifyResourceSignature } from '../../../lib/signed-urls'
import { ensureCleanOriginal, ensurePreview } from '../../images/service'
import { messageImageResource, type MessageImageVariant } from '../shared/rows'

/**
 * The bytes of an image of a message: `/api/messages/{id}/images/{imageId}/{variant}`, only with
 * the signed URL its message DTO carries (`chat-image:{message}:{image}:{variant}`). These URLs
 * belong to the message, not to the image: they keep working after the image is deleted from
 * the library (the message still holds it) and stop when the message or its session is deleted.
 * The original is served metadata-free (the URL may be shared); the owner's own original stays
 * at `/api/images/{id}/original`.
 */
export async function serveMessageImage(
  env: Env,
  db: Db,
  request: Request,
  target: { messageId: string; imageId: string; variant: MessageImageVariant; exp?: string | undefined; sig?: string | undefined },
): Promise<Response> {
  const { messageId, imageId, variant } = target
  if (!(await verifyResourceSignature(env, messageImageResource(messageId, imageId, variant), target.exp, target.sig))) throw notFound('Image')
  const held = await env.DB.prepare(
    `SELECT 1 AS x FROM chat_messages m
      WHERE m.id = ?1 AND m.deleted_at IS NULL AND EXISTS (SELECT 1 FROM json_each(m.image_ids) WHERE value = ?2)
        AND EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = m.session_id AND s.deleted_at IS NULL)`,
  )
    .bind(messageId, imageId)
    .first()
  const image = held ? await db.query.images.findFirst({ where: (i, { eq }) => eq(i.id, imageId) }) : undefined
  if (!image) throw notFound('Image')
  let key: string
  if (variant === 'thumb') key = image.thumbKey
  else if (variant === 'preview') {
    await ensurePreview(env, db, image)
    key = image.previewKey
  } else key = await ensureCleanOriginal(env, db, image)
  return respondWithObject(env.MEDIA, key, {
    request,
    cacheControl: variant === 'original' ? 'private, max-age=3600' : 'private, max-age=86400',
    ranges: variant === 'original',
    filename: { base: variant === 'original' ? imageId : `${imageId}-${variant}`, download: false },
    fallbackType: image.mime,
    missing: () => notFound('Image'),
  })
}
