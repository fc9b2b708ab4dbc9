import { createRouter } from '../../lib/openapi'
import { listSettings, updateSetting } from './admin'
import { getAnnouncementRoute, listSettingsRoute, updateSettingRoute } from './routes'
import { readSettings } from './service'

/** Runtime settings for admins (`/api/admin/config…`). */
export const adminSettingsRoutes = createRouter()
  .openapi(listSettingsRoute, async (c) => c.json({ success: true as const, data: { items: await listSettings(c.env) } }, 200))
  .openapi(updateSettingRoute, async (c) => {
    const data = await updateSetting(c.env, c.req.valid('param').key, c.req.valid('json').value, c.var.user.id)
    return c.json({ success: true as const, data }, 200)
  })

/** The public announcement and maintenance state (`/api/system/announcement`). */
export const announcementRoutes = createRouter().openapi(getAnnouncementRoute, async (c) => {
  const { announcement, maintenance } = await readSettings(c.env)
  c.header('Cache-Control', 'public, max-age=30')
  return c.json({ success: true as const, data: { announcement, maintenance } }, 200)
})
