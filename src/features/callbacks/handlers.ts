import { createRouter } from '../../lib/openapi'
import { predictionReport, replicateTask, taskIdFromWebhookUrl } from './replicate'
import { receiveProviderCallbackRoute, reportTaskCompleteRoute, reportTaskFailedRoute } from './routes'
import { ReplicatePrediction, TaskComplete, TaskFailed, WebhookReport } from './schemas'
import { applyReport, findProviderTask } from './service'
import { handleSigned } from './signed'

export const callbackRoutes = createRouter()
  .openapi(receiveProviderCallbackRoute, async (c) => {
    const { provider } = c.req.valid('param')
    const db = c.var.db
    if (provider === 'replicate') {
      return handleSigned(c, 'replicate', {
        schema: ReplicatePrediction,
        retryWhenMissing: true,
        resolve: (p) => replicateTask(c.env, db, p.id, taskIdFromWebhookUrl(p.webhook) ?? c.req.valid('query').taskId),
        apply: (p, task) => applyReport(c.env, db, 'replicate', task, predictionReport(p, task)),
      })
    }
    return handleSigned(c, 'webhook', {
      schema: WebhookReport,
      retryWhenMissing: false,
      resolve: (r) => findProviderTask(db, r.taskId, 'webhook'),
      apply: (r, task) => {
        const status = r.status === 'progress' ? 'running' : r.status === 'completed' ? 'succeeded' : r.status
        return applyReport(c.env, db, 'webhook', task, { status, progress: r.progress, results: r.images, error: r.error, errorCode: r.errorCode })
      },
    })
  })
  .openapi(reportTaskCompleteRoute, async (c) =>
    handleSigned(c, 'webhook', {
      schema: TaskComplete,
      retryWhenMissing: false,
      resolve: (r) => findProviderTask(c.var.db, r.taskId, 'webhook'),
      apply: (r, task) => applyReport(c.env, c.var.db, 'webhook', task, { status: 'succeeded', results: r.images ?? r.results ?? r.imageUrls ?? [] }),
    }),
  )
  .openapi(reportTaskFailedRoute, async (c) =>
    handleSigned(c, 'webhook', {
      schema: TaskFailed,
      retryWhenMissing: false,
      resolve: (r) => findProviderTask(c.var.db, r.taskId, 'webhook'),
      apply: (r, task) => applyReport(c.env, c.var.db, 'webhook', task, { status: 'failed', error: r.error, errorCode: r.errorCode }),
    }),
  )
