import { createRoute } from '@hono/zod-openapi'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, noAuth, ok } from '../../lib/openapi'
import { AnnouncementSchema, SettingKeyParam, SettingListSchema, SettingUpdateBody, UpdatedSettingSchema } from './schemas'

const admin = { tags: ['Admin'], security: bearerAuth, middleware: [requireAuth, requireAdmin] }

export const listSettingsRoute = createRoute({
  method: 'get',
  path: '/config',
  ...admin,
  operationId: 'adminListSettings',
  summary: 'Runtime settings (admin)',
  description:
    'Every runtime setting with its current value, default, type, meaning and last change (read from D1 now). A setting never changed ' +
    'has its default (`updatedAt: null`).',
  responses: { 200: ok(SettingListSchema, 'Every setting'), ...errors(401, 403) },
})

export const updateSettingRoute = createRoute({
  method: 'put',
  path: '/config/{key}',
  ...admin,
  operationId: 'adminUpdateSetting',
  summary: 'Change a runtime setting (admin)',
  description:
    'Stores `value` and writes an audit row (`settings.update`, before and after) in the same D1 batch. Unknown key: 404 ' +
    '(`details.keys` lists the known ones); a value of the wrong type: 400 naming the type. Every isolate applies it within ' +
    '`SETTINGS_CACHE_SECONDS` (10 s by default). Turning `maintenance` on pauses writes by non-admins (503 MAINTENANCE).',
  request: { params: SettingKeyParam, body: jsonBody(SettingUpdateBody) },
  responses: { 200: ok(UpdatedSettingSchema, 'The setting after the change, and the value before'), ...errors(400, 401, 403, 404) },
})

export const getAnnouncementRoute = createRoute({
  method: 'get',
  path: '/system/announcement',
  tags: ['System'],
  security: noAuth,
  operationId: 'getAnnouncement',
  summary: 'Announcement and maintenance state',
  description:
    'What every client shows: the admins\' `announcement` (null: none) and whether `maintenance` is on (writes answer 503 ' +
    'MAINTENANCE while it is; reads work). Public, the same for everyone, cacheable for 30 seconds; poll it at start-up and now and then.',
  responses: { 200: ok(AnnouncementSchema, 'The announcement and maintenance state') },
})
