import { z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { PhotoBatch, PhotoListSchema, PhotoSchema, PhotoUpdate } from '../../src/features/live/photos/schemas'
import { CreateSession, SessionSchema, UpdateSession, VerifyBody } from '../../src/features/live/sessions/schemas'
import { StartUpload, UploadSchema } from '../../src/features/live/uploads/schemas'
import { callJson } from '../helpers'

/** The parts of /openapi.json these tests read (the document has no route schema of its own). */
const Operation = z.object({
  summary: z.string().optional(),
  operationId: z.string().optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))).optional(),
  responses: z.record(z.string(), z.unknown()),
})
const OpenApiDoc = z.object({
  paths: z.record(z.string(), z.record(z.string(), Operation)),
  components: z.object({ schemas: z.record(z.string(), z.object({ example: z.unknown().optional() })) }),
})

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
  ['post', '/api/live/sessions/{id}/watermark'],
  ['post', '/api/live/sessions/{id}/uploads'],
  ['get', '/api/live/sessions/{id}/uploads/{uploadId}'],
  ['put', '/api/live/sessions/{id}/uploads/{uploadId}/parts/{partNumber}'],
  ['post', '/api/live/sessions/{id}/uploads/{uploadId}/complete'],
  ['delete', '/api/live/sessions/{id}/uploads/{uploadId}'],
]

describe('live routes in /openapi.json', () => {
  it('documents every live route with a summary and its error statuses', async () => {
    const { status, body } = await callJson('GET', '/openapi.json')
    expect(status).toBe(200)
    const { paths } = OpenApiDoc.parse(body)
    for (const [method, path] of LIVE_ROUTES) {
      const op = paths[path]?.[method]
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined()
      expect(op?.summary, path).toBeTruthy()
    }
    const codes = (method: string, path: string) => Object.keys(paths[path]![method]!.responses)
    expect(codes('post', '/api/live/sessions/{id}/verify')).toEqual(expect.arrayContaining(['200', '401', '410', '429']))
    expect(codes('post', '/api/live/sessions/{id}/photos')).toEqual(expect.arrayContaining(['201', '401', '404', '415', '422']))
    expect(codes('get', '/api/live/sessions/{id}/photos')).toEqual(expect.arrayContaining(['200', '401', '410']))
    expect(codes('post', '/api/live/photos/batch')).toEqual(expect.arrayContaining(['200', '400', '404']))
    // Owner routes declare bearer auth.
    for (const [method, path] of [['post', '/api/live/sessions'], ['put', '/api/live/sessions/{id}'], ['post', '/api/live/photos/batch']] as const) {
      expect(paths[path]![method]!.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }])
    }
  })

  it('gives every live route a unique camelCase operationId, and examples for the main flows', async () => {
    const { body } = await callJson('GET', '/openapi.json')
    const doc = OpenApiDoc.parse(body)
    const paths = doc.paths
    const all = Object.values(paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId))
    for (const [method, path] of LIVE_ROUTES) {
      const id = paths[path]![method]!.operationId
      expect(id, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/)
      expect(all.filter((x) => x === id), id).toHaveLength(1)
    }
    const schemas = doc.components.schemas
    // Request bodies of the JSON POST/PUT routes, and the main responses (a session, a photo, a list).
    for (const name of ['CreateLiveSession', 'UpdateLiveSession', 'VerifyAccessCode', 'LivePhotoUpdate', 'LivePhotoBatch', 'StartLiveUpload', 'LiveSession', 'LivePhoto', 'LivePhotoList', 'LiveUpload']) {
      expect(schemas[name]?.example, name).toBeDefined()
    }
    // Each example is valid for the zod schema it documents.
    const zodOf = { CreateLiveSession: CreateSession, UpdateLiveSession: UpdateSession, VerifyAccessCode: VerifyBody, LiveSession: SessionSchema, LivePhotoUpdate: PhotoUpdate, LivePhotoBatch: PhotoBatch, LivePhoto: PhotoSchema, LivePhotoList: PhotoListSchema, StartLiveUpload: StartUpload, LiveUpload: UploadSchema }
    for (const [name, schema] of Object.entries(zodOf)) {
      const parsed = schema.safeParse(schemas[name]!.example)
      expect(parsed.success, `${name}: ${parsed.error?.message ?? ''}`).toBe(true)
    }
  })
})
