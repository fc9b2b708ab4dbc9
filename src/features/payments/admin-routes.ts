import { createRoute, z } from '@hono/zod-openapi'
import { requireAdmin, requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, ok } from '../../lib/openapi'
import { AdminOrderPageSchema, AdminOrderQuery, AdminPackageSchema, DeletePackageSchema, PackageBody, PackageIdParam, PackageUpdateBody } from './schemas'

const tags = ['Admin']
const admin = { security: bearerAuth, middleware: [requireAuth, requireAdmin] }
const AUDITED = 'Written to the audit log in the same D1 batch as the change.'

export const adminListPackagesRoute = createRoute({
  method: 'get', path: '/packages', tags, ...admin, operationId: 'adminListPackages', summary: 'Every credit package (admin)',
  description: 'Inactive ones included: active first, then by `sortOrder` and price.',
  responses: { 200: ok(z.object({ items: z.array(AdminPackageSchema) }), 'Packages'), ...errors(401, 403) },
})

export const adminCreatePackageRoute = createRoute({
  method: 'post', path: '/packages', tags, ...admin, operationId: 'adminCreatePackage', summary: 'Create a credit package (admin)',
  description: `credits ≥ 1, priceCents ≥ 1 (minor units), currency three upper-case letters (ISO 4217). ${AUDITED}`,
  request: { body: jsonBody(PackageBody) },
  responses: { 201: ok(z.object({ package: AdminPackageSchema }), 'Created'), ...errors(400, 401, 403) },
})

export const adminUpdatePackageRoute = createRoute({
  method: 'put', path: '/packages/{id}', tags, ...admin, operationId: 'adminUpdatePackage', summary: 'Change a credit package (admin)',
  description: `Only the fields sent change. Existing orders keep the terms they were created with. ${AUDITED}`,
  request: { params: PackageIdParam, body: jsonBody(PackageUpdateBody) },
  responses: { 200: ok(z.object({ package: AdminPackageSchema }), 'Updated'), ...errors(400, 401, 403, 404, 409) },
})

export const adminDeletePackageRoute = createRoute({
  method: 'delete', path: '/packages/{id}', tags, ...admin, operationId: 'adminDeletePackage', summary: 'Delete or deactivate a credit package (admin)',
  description: `A package no order refers to is deleted; one with orders is deactivated instead (\`deactivated: true\`), never deleted. ${AUDITED}`,
  request: { params: PackageIdParam },
  responses: { 200: ok(DeletePackageSchema, 'Deleted or deactivated'), ...errors(401, 403, 404) },
})

export const adminListOrdersRoute = createRoute({
  method: 'get', path: '/orders', tags, ...admin, operationId: 'adminListOrders', summary: 'Every order (admin)',
  description: 'Newest first; filters `status`, `userId`, `provider`, `from`/`to` (creation time, ISO 8601, `to` exclusive).',
  request: { query: AdminOrderQuery },
  responses: { 200: ok(AdminOrderPageSchema, 'Orders'), ...errors(400, 401, 403) },
})
