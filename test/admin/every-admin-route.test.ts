import { describe, expect, it } from 'vitest'
import { callJson, expectError, newUser } from '../helpers'

interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>
}

/**
 * Every admin operation the API documents, read from the live OpenAPI document (so a route added
 * later is covered without editing this test): anonymous callers get 401, signed-in non-admins 403.
 */
describe('every documented admin route refuses anonymous and non-admin callers', () => {
  it('401 without a token, 403 for a user, for each method of each /api/admin/* path and /api/websocket/stats', async () => {
    const doc = (await callJson('GET', '/openapi.json')).body as OpenApiDoc
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/admin/') || path === '/api/websocket/stats')
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .map((method) => [method.toUpperCase(), path.replace(/\{[^}]+\}/gu, 'x_probe')] as const),
      )
    // The console has many routes; a document that lost them would make this test vacuous.
    expect(operations.length).toBeGreaterThanOrEqual(15)
    const user = await newUser('notadmin')
    for (const [method, path] of operations) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {}
      expectError(await callJson(method, path, body), 401, 'UNAUTHORIZED')
      expectError(await callJson(method, path, body, { token: user.accessToken }), 403, 'FORBIDDEN')
    }
  })
})
