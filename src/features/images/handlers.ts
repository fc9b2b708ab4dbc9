import { notFound } from '../../lib/errors'
import { createRouter, paginate } from '../../lib/openapi'
import { deleteImageRoute, getImageRoute, getImageVariantRoute, listImagesRoute, uploadImagesRoute } from './routes'
import { serveImageVariant } from './serving'
import { findOwnImage, finishDerivatives, listOwnImages, releaseImage, storeImages, toImageDto } from './service'
import { inspectAll, parseUpload } from './upload'

export const imageRoutes = createRouter()
  .openapi(uploadImagesRoute, async (c) => {
    const { files, options } = await parseUpload(c.env, c.req.raw)
    const inspected = await inspectAll(c.env, files)
    const stored = await storeImages(c.env, c.var.db, c.var.user.id, inspected, { type: options.type, sessionId: options.sessionId })
    c.executionCtx.waitUntil(finishDerivatives(c.env, c.var.db, stored, inspected))
    const data = await Promise.all(stored.map((image) => toImageDto(c.env, image, true)))
    return c.json({ success: true as const, data: { images: data }, message: `${data.length} image(s) stored` }, 201)
  })
  .openapi(listImagesRoute, async (c) => {
    const { page, limit, sessionId, type } = c.req.valid('query')
    const { rows, total } = await listOwnImages(c.var.db, c.var.user.id, { sessionId, type }, page, limit)
    const items = await Promise.all(rows.map((image) => toImageDto(c.env, image, true)))
    return c.json({ success: true as const, data: paginate(items, total, page, limit) }, 200)
  })
  .openapi(getImageRoute, async (c) => {
    const image = await findOwnImage(c.var.db, c.var.user.id, c.req.valid('param').id)
    if (!image) throw notFound('Image')
    return c.json({ success: true as const, data: { image: await toImageDto(c.env, image, true) } }, 200)
  })
  .openapi(deleteImageRoute, async (c) => {
    const image = await findOwnImage(c.var.db, c.var.user.id, c.req.valid('param').id)
    if (!image) throw notFound('Image')
    await releaseImage(c.env, c.var.db, image, { ownerDelete: true })
    return c.json({ success: true as const, data: { deleted: true as const }, message: 'Image deleted' }, 200)
  })
  .openapi(getImageVariantRoute, async (c) => {
    const { id, variant } = c.req.valid('param')
    return serveImageVariant(c.env, c.var.db, c.req.raw, { id, variant, options: c.req.valid('query') })
  })
