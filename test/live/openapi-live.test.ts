import { describe, expect, it } from 'vitest'
import { callJson, type Json } from '../helpers'

/** The live routes of ../shared/API.md (and the extra ones the code serves), as documented paths. */
const LIVE_ROUTES: Array<[string, string]> = [
  ['post', '/api/live/sessions'],
  ['get', '/api/live/sessions'],
  ['get', '/api/live/sessions/{id}'],
  ['put', '/api/live/sessions/{id}'],
  ['delete', '/api/live/sessions/{id}'],
  ['post', '/api/live/sessions/{id}/verify'],
  ['post', '/api/live/sessions/{id}/photos'],
  ['get', '/api/live/sessions/{id}/photos'],
  ['get', '/api/live/sessions/{id}/ws'],
  ['get', '/api/live/photos/{id}'],
  ['put', '/api/live/photos/{id}'],
  ['delete', '/api/live/photos/{id}'],
  ['post', '/api/live/photos/batch'],
  ['post', '/api/live/photos/{id}/like'],
  ['get', '/api/live/photos/{id}/{variant}'],
  ['get', '/live/{id}'],
]

describe('live routes in /openapi.json', () => {
  it('documents every live route with a summary and its error statuses', async () => {
    const { status, body } = await callJson('GET', '/openapi.json')
    expect(status).toBe(200)
    const paths = body.paths as Record<string, Record<string, Json>>
    for (const [method, path] of LIVE_ROUTES) {
      const op = paths[path]?.[method]
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined()
      expect(op.summary, path).toBeTruthy()
    }
    const codes = (method: string, path: string) => Object.keys(paths[path]![method].responses)
    expect(codes('post', '/api/live/sessions/{id}/verify')).toEqual(expect.arrayContaining(['200', '401', '410', '429']))
    expect(codes('post', '/api/live/sessions/{id}/photos')).toEqual(expect.arrayContaining(['201', '401', '404', '415', '422']))
    expect(codes('get', '/api/live/sessions/{id}/photos')).toEqual(expect.arrayContaining(['200', '401', '410']))
    expect(codes('post', '/api/live/photos/batch')).toEqual(expect.arrayContaining(['200', '400', '404']))
    // Owner routes declare bearer auth.
    for (const [method, path] of [['post', '/api/live/sessions'], ['put', '/api/live/sessions/{id}'], ['post', '/api/live/photos/batch']] as const) {
      expect(paths[path]![method].security, `${method} ${path}`).toEqual([{ bearerAuth: [] }])
    }
  })
})
