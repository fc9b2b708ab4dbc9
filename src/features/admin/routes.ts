import { createRoute } from '@hono/zod-openapi'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, ok } from '../../lib/openapi'
import {
  AdminTaskListQuery, AdminTaskPageSchema, AdminUserIdParam, AdminUserListQuery, AdminUserPageSchema, AdminUserSchema, AdminUserUpdate,
  OverviewSchema, SocketStatsSchema,
} from './schemas'

const tags = ['Admin']
const admin = { security: bearerAuth, middleware: [requireAuth, requireAdmin] }

export const adminOverviewRoute = createRoute({
  method: 'get', path: '/stats/overview', tags, ...admin, operationId: 'adminOverview', summary: 'Dashboard numbers (admin)',
  description:
    'Users (total, new today and in 7 days, active in 7 days = a password sign-in or a task in the last 7 × 24 h, disabled, active admins), ' +
    'tasks by status and today, credits issued and spent (from the ledger), orders by status and revenue of paid orders per currency, ' +
    'works awaiting review, live sessions running, sockets connected (see `GET /api/websocket/stats`). "Today" starts at 00:00 UTC. ' +
    'Read in one D1 batch.',
  responses: { 200: ok(OverviewSchema, 'Overview'), ...errors(401, 403) },
})

export const adminListUsersRoute = createRoute({
  method: 'get', path: '/users', tags, ...admin, operationId: 'adminListUsers', summary: 'Accounts (admin)',
  description: 'Newest first. `search` matches part of the username or email (case-insensitive); filter by `role` and `status`.',
  request: { query: AdminUserListQuery },
  responses: { 200: ok(AdminUserPageSchema, 'A page of accounts'), ...errors(400, 401, 403) },
})

export const adminUpdateUserRoute = createRoute({
  method: 'put', path: '/users/{id}', tags, ...admin, operationId: 'adminUpdateUser', summary: 'Change an account (admin)',
  description:
    'Send any of `role`, `isActive`, `creditsDelta` (with `reason`, the ledger note). Every change and its audit row ' +
    '(`users.update` with role and isActive before and after, `credits.adjust`) land in one D1 batch, all or nothing, guarded by ' +
    'the state read just before: of two concurrent role or status edits of one account the later answers 409. A `creditsDelta` is ' +
    'not compare-and-set: each request applies once (never below 0), so do not resend one whose answer you lost without ' +
    'checking the ledger first. Enabling an account also revokes any session that began while it was disabled. `isActive: false` disables the ' +
    'account: every session is revoked (refresh tokens and access tokens stop working), its sockets close with 4401, and its ' +
    'sign-ins (password, admin, WeChat) and refreshes answer 403 ACCOUNT_DISABLED until `isActive: true`. ' +
    'You cannot disable yourself or change your own role (403). The last active admin can never be demoted or disabled (409), ' +
    'also when two admins demote each other at once. A balance never goes below 0 (409). Nothing to change answers the account as it is.',
  request: { params: AdminUserIdParam, body: jsonBody(AdminUserUpdate) },
  responses: { 200: ok(AdminUserSchema, 'The account after the change'), ...errors(400, 401, 403, 404, 409) },
})

export const adminListTasksRoute = createRoute({
  method: 'get', path: '/tasks', tags, ...admin, operationId: 'adminListTasks', summary: "Every user's generation tasks (admin)",
  description: 'Newest first; filter by `status`, `userId`, `provider` and creation time (`from` inclusive, `to` exclusive).',
  request: { query: AdminTaskListQuery },
  responses: { 200: ok(AdminTaskPageSchema, 'A page of tasks'), ...errors(400, 401, 403) },
})

export const websocketStatsRoute = createRoute({
  method: 'get', path: '/websocket/stats', tags, ...admin, operationId: 'adminWebsocketStats', summary: 'Connected WebSockets (admin)',
  description:
    'Every user hub and live room reports its socket counts to D1 when they change: user devices at once on connect and close, ' +
    'live owners and guests within about a second (coalesced by the room presence alarm). Rooms not heard from for ' +
    '`staleAfterSeconds` (longer than any token lifetime; open rooms report at least that often) are left out.',
  responses: { 200: ok(SocketStatsSchema, 'Socket counts'), ...errors(401, 403) },
})
