import { createRouter } from '../../../lib/openapi'
import { loadOwnSession } from '../shared/access'
import { abortLiveUploadRoute, completeLiveUploadRoute, createLiveUploadRoute, getLiveUploadRoute, putLiveUploadPartRoute } from './routes'
import { abortUpload, completeUpload, getUpload, startUpload, storePart } from './service'

export const liveUploadRoutes = createRouter()
  .openapi(createLiveUploadRoute, async (c) => {
    const session = await loadOwnSession(c.var.db, c.req.valid('param').id, c.var.user.id)
    const { size, filename } = c.req.valid('json')
    const upload = await startUpload(c.env, c.var.db, session, size, filename)
    return c.json({ success: true as const, data: { upload } }, 201)
  })
  .openapi(putLiveUploadPartRoute, async (c) => {
    const { id, uploadId, partNumber } = c.req.valid('param')
    const session = await loadOwnSession(c.var.db, id, c.var.user.id)
    const upload = await storePart(c.env, c.var.db, session, uploadId, partNumber, async () => new Uint8Array(await c.req.arrayBuffer()))
    return c.json({ success: true as const, data: { upload } }, 200)
  })
  .openapi(getLiveUploadRoute, async (c) => {
    const { id, uploadId } = c.req.valid('param')
    const session = await loadOwnSession(c.var.db, id, c.var.user.id)
    return c.json({ success: true as const, data: { upload: await getUpload(c.var.db, session, uploadId) } }, 200)
  })
  .openapi(completeLiveUploadRoute, async (c) => {
    const { id, uploadId } = c.req.valid('param')
    const session = await loadOwnSession(c.var.db, id, c.var.user.id)
    const photo = await completeUpload(c.env, c.var.db, session, uploadId, (work) => c.executionCtx.waitUntil(work))
    return c.json({ success: true as const, data: { photo } }, 201)
  })
  .openapi(abortLiveUploadRoute, async (c) => {
    const { id, uploadId } = c.req.valid('param')
    const session = await loadOwnSession(c.var.db, id, c.var.user.id)
    await abortUpload(c.env, c.var.db, session, uploadId)
    return c.json({ success: true as const, data: { aborted: true as const } }, 200)
  })
