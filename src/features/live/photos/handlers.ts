import { createRouter } from '../../../lib/openapi'
import { inspectAll, parseUpload } from '../../images/upload'
import { loadOwnSession, loadSession, presentedToken, resolveViewer } from '../shared/access'
import { photoDtos } from './dto'
import { moderateBatch, removePhoto, updatePhoto } from './moderation'
import {
  deleteLivePhotoRoute,
  getLivePhotoRoute,
  getLivePhotoVariantRoute,
  likeLivePhotoRoute,
  listLivePhotosRoute,
  moderateLivePhotosRoute,
  updateLivePhotoRoute,
  uploadLivePhotosRoute,
} from './routes'
import { serveLiveVariant } from './serve'
import { assertVisible, countView, likePhoto, listPhotos, loadOwnPhoto, loadPhoto, publishPhotos, variantViewer } from './service'

export const livePhotoRoutes = createRouter()
  .openapi(uploadLivePhotosRoute, async (c) => {
    const session = await loadOwnSession(c.var.db, c.req.valid('param').id, c.var.user.id)
    const { files } = await parseUpload(c.env, c.req.raw, ['photo', 'photos', 'photos[]'])
    const inspected = await inspectAll(c.env, files)
    const photos = await publishPhotos(c.env, c.var.db, session, inspected, (work) => c.executionCtx.waitUntil(work))
    return c.json({ success: true as const, data: { photos } }, 201)
  })
  .openapi(listLivePhotosRoute, async (c) => {
    const session = await loadSession(c.var.db, c.req.valid('param').id)
    const viewer = await resolveViewer(c.env, session, presentedToken(c.req))
    const data = await listPhotos(c.env, c.var.db, session, viewer.role === 'owner', c.req.valid('query'))
    return c.json({ success: true as const, data }, 200)
  })
  .openapi(getLivePhotoRoute, async (c) => {
    const { photo, session } = await loadPhoto(c.var.db, c.req.valid('param').id)
    const viewer = await resolveViewer(c.env, session, presentedToken(c.req))
    assertVisible(viewer, photo)
    // Once per guest: the owner looking does not count.
    if (viewer.role === 'guest' && viewer.guestId) photo.viewCount = await countView(c.env, photo, viewer.guestId)
    const [dto] = await photoDtos(c.env, c.var.db, session, [photo], viewer.role === 'owner')
    return c.json({ success: true as const, data: { photo: dto! } }, 200)
  })
  .openapi(updateLivePhotoRoute, async (c) => {
    const { photo, session } = await loadOwnPhoto(c.var.db, c.req.valid('param').id, c.var.user.id)
    const dto = await updatePhoto(c.env, c.var.db, session, photo, c.req.valid('json'), (work) => c.executionCtx.waitUntil(work))
    return c.json({ success: true as const, data: { photo: dto } }, 200)
  })
  .openapi(deleteLivePhotoRoute, async (c) => {
    const { photo, session } = await loadOwnPhoto(c.var.db, c.req.valid('param').id, c.var.user.id)
    await removePhoto(c.env, c.var.db, session, photo)
    return c.json({ success: true as const, data: { deleted: true as const } }, 200)
  })
  .openapi(moderateLivePhotosRoute, async (c) => {
    const { ids, action } = c.req.valid('json')
    const data = await moderateBatch(c.env, c.var.db, c.var.user.id, ids, action, (work) => c.executionCtx.waitUntil(work))
    return c.json({ success: true as const, data }, 200)
  })
  .openapi(likeLivePhotoRoute, async (c) => {
    const { photo, session } = await loadPhoto(c.var.db, c.req.valid('param').id)
    const viewer = await resolveViewer(c.env, session, presentedToken(c.req))
    assertVisible(viewer, photo)
    const likeCount = await likePhoto(c.env, viewer, photo)
    return c.json({ success: true as const, data: { liked: true as const, likeCount } }, 200)
  })
  .openapi(getLivePhotoVariantRoute, async (c) => {
    const { id, variant } = c.req.valid('param')
    const { photo, session } = await loadPhoto(c.var.db, id)
    const { exp, sig } = c.req.valid('query')
    const viewer = await variantViewer(c.env, { photo, session, variant }, { exp, sig, token: presentedToken(c.req) })
    return serveLiveVariant(c.env, c.var.db, c.req.raw, { photo, session, variant, owner: viewer.role === 'owner' })
  })
