import { createRoute, z } from '@hono/zod-openapi'
import { errors, ok, webhookSignature } from '../../lib/openapi'
import { AckSchema, callbackExamples, CallbackProviderParam, CallbackTaskQuery, TaskComplete, TaskFailed, WebhookReport } from './schemas'

const tags = ['Callbacks']

const SIGNED =
  'Signed with Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (HMAC-SHA256 of `id.timestamp.` followed by the ' +
  'exact body bytes, with the `whsec_` secret, 5 minute tolerance). Bad or stale signatures: 401 INVALID_SIGNATURE, nothing changes. ' +
  'Bodies are validated strictly (unknown fields or statuses, wrong types: 400 VALIDATION_ERROR, nothing changes). A repeated ' +
  '`webhook-id` is acknowledged with `duplicate: true` and changes nothing; a delivery that fails (4xx/5xx) is not recorded, so its retry ' +
  'is processed. Reports on finished tasks are acknowledged without effect. Result images: at most the task\'s `batchSize`, each at most ' +
  'MAX_IMAGE_BYTES, as URLs on the provider\'s host allowlist (redirects refused) or inline base64; callback bodies may be up to ' +
  '16 MB (413 beyond; about 12 MB of inline base64 results, send larger results as URLs). Deliveries without the three ' +
  'Standard Webhooks headers, or with a timestamp more than 5 minutes off, are refused (401) before their body is read.'

/**
 * Documented as JSON Schema rather than zod so no validator reads the body first: the signature
 * covers the exact bytes, and unsigned garbage must get 401, not 400.
 */
const signedBody = (schema: z.ZodType, example: unknown) => ({
  required: true,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>, example } },
})

export const receiveProviderCallbackRoute = createRoute({
  method: 'post', path: '/callbacks/{provider}', tags, operationId: 'receiveProviderCallback', security: webhookSignature, summary: 'Provider webhook',
  description:
    '`webhook` (n8n flows; body WebhookCallback, secret WEBHOOK_SECRET; unknown task ids are acknowledged without effect) or `replicate` ' +
    '(a prediction; secret REPLICATE_WEBHOOK_SECRET; found by prediction id, or by the `taskId` of the webhook URL we registered; a ' +
    'prediction whose task is not known yet answers 503 NOT_READY so Replicate retries). ' + SIGNED,
  request: { params: CallbackProviderParam, query: CallbackTaskQuery, body: signedBody(WebhookReport, callbackExamples.webhook) },
  responses: { 200: ok(AckSchema, 'Acknowledged'), ...errors(400, 401, 404, 413, 422, 503) },
})

export const reportTaskCompleteRoute = createRoute({
  method: 'post', path: '/callback/task-complete', tags, operationId: 'reportTaskComplete', security: webhookSignature, summary: 'n8n: task complete',
  description: `Result images as URLs or base64 in \`images\`, \`imageUrls\` or \`results\`. ${SIGNED}`,
  request: { body: signedBody(TaskComplete, callbackExamples.taskComplete) },
  responses: { 200: ok(AckSchema, 'Acknowledged'), ...errors(400, 401, 413, 422, 503) },
})

export const reportTaskFailedRoute = createRoute({
  method: 'post', path: '/callback/task-failed', tags, operationId: 'reportTaskFailed', security: webhookSignature, summary: 'n8n: task failed',
  description: `Fails the task and refunds its credits. ${SIGNED}`,
  request: { body: signedBody(TaskFailed, callbackExamples.taskFailed) },
  responses: { 200: ok(AckSchema, 'Acknowledged'), ...errors(400, 401, 503) },
})
