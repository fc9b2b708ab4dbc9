import { notFound } from '../../lib/errors'
import { createRouter } from '../../lib/openapi'
import { createSceneRoute, deleteSceneRoute, getSceneRoute, listScenesRoute, updateSceneRoute } from './routes'
import { createScene, deleteScene, findActiveScene, listActiveScenes, toSceneDto, updateScene } from './service'

export const sceneRoutes = createRouter()
  .openapi(listScenesRoute, async (c) => {
    const rows = await listActiveScenes(c.var.db, c.req.valid('query').category)
    return c.json({ success: true as const, data: { scenes: rows.map(toSceneDto) } }, 200)
  })
  .openapi(getSceneRoute, async (c) => {
    const scene = await findActiveScene(c.var.db, c.req.valid('param').id)
    if (!scene) throw notFound('Scene')
    return c.json({ success: true as const, data: { scene: toSceneDto(scene) } }, 200)
  })
  .openapi(createSceneRoute, async (c) => {
    const scene = await createScene(c.env, c.var.db, c.req.valid('json'), c.var.user.id)
    return c.json({ success: true as const, data: { scene: toSceneDto(scene) } }, 201)
  })
  .openapi(updateSceneRoute, async (c) => {
    const scene = await updateScene(c.env, c.var.db, c.req.valid('param').id, c.req.valid('json'), c.var.user.id)
    if (!scene) throw notFound('Scene')
    return c.json({ success: true as const, data: { scene: toSceneDto(scene) } }, 200)
  })
  .openapi(deleteSceneRoute, async (c) => {
    if (!(await deleteScene(c.env, c.var.db, c.req.valid('param').id, c.var.user.id))) throw notFound('Scene')
    return c.json({ success: true as const, data: { deleted: true as const } }, 200)
  })
