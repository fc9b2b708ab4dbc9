import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../../lib/auth'
import { bearerAuth, errors, jsonBody, ok } from '../../../lib/openapi'
import { UploadedPhotoSchema } from '../photos/schemas'
import { PartParams, SessionParams, StartUpload, UploadEnvelope, UploadParams } from './schemas'

const tags = ['Live uploads']
const auth = { security: bearerAuth, middleware: [requireAuth] }

export const createLiveUploadRoute = createRoute({
  method: 'post',
  path: '/sessions/{id}/uploads',
  operationId: 'createLiveUpload',
  tags,
  ...auth,
  summary: 'Start a resumable upload',
  description:
    'For big photos on flaky venue networks: declare the size, then PUT parts of `partSize` bytes (the last may be shorter) in any order, ' +
    'resend any part that failed, GET the upload to see what arrived, then POST /complete. Backed by R2 multipart uploads. ' +
    "Every part pushes `upload.progress {uploadId, received, total}` to the owner's sockets.",
  request: { params: SessionParams, body: jsonBody(StartUpload) },
  responses: { 201: ok(UploadEnvelope, 'Started'), ...errors(400, 401, 404, 413) },
})

export const putLiveUploadPartRoute = createRoute({
  method: 'put',
  path: '/sessions/{id}/uploads/{uploadId}/parts/{partNumber}',
  operationId: 'putLiveUploadPart',
  tags,
  ...auth,
  summary: 'Send one part',
  request: {
    params: PartParams,
    body: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
  },
  responses: { 200: ok(UploadEnvelope, 'Part stored'), ...errors(400, 401, 404, 413) },
})

export const getLiveUploadRoute = createRoute({
  method: 'get',
  path: '/sessions/{id}/uploads/{uploadId}',
  operationId: 'getLiveUpload',
  tags,
  ...auth,
  summary: 'What has arrived',
  request: { params: UploadParams },
  responses: { 200: ok(UploadEnvelope, 'Upload'), ...errors(401, 404) },
})

export const completeLiveUploadRoute = createRoute({
  method: 'post',
  path: '/sessions/{id}/uploads/{uploadId}/complete',
  operationId: 'completeLiveUpload',
  tags,
  ...auth,
  summary: 'Finish: check and publish the photo',
  description: 'Assembles the parts, then the photo passes the same checks as any upload (415/422 and nothing kept on failure).',
  request: { params: UploadParams },
  responses: { 201: ok(UploadedPhotoSchema, 'Stored'), ...errors(400, 401, 404, 409, 413, 415, 422) },
})

export const abortLiveUploadRoute = createRoute({
  method: 'delete',
  path: '/sessions/{id}/uploads/{uploadId}',
  operationId: 'abortLiveUpload',
  tags,
  ...auth,
  summary: 'Abandon an upload',
  request: { params: UploadParams },
  responses: { 200: ok(z.object({ aborted: z.literal(true) }), 'Aborted'), ...errors(401, 404) },
})
