import { createRouter, paginate } from '../../lib/openapi'
import { resultImages, toTaskDto } from './dto'
import { cancelTaskRoute, createTaskRoute, getQueueStatsRoute, getTaskRoute, listTasksRoute } from './routes'
import { cancelTask, createTask, getTask, listTasks } from './service'
import { mayWait, waitForTaskEnd } from './wait'
import { queueStats } from './stats'

export const taskRoutes = createRouter()
  .openapi(createTaskRoute, async (c) => {
    const key = c.req.valid('header')['idempotency-key'] ?? null
    const asked = c.req.valid('query').wait
    const { task, replayed } = await createTask(c.env, c.var.db, c.var.user, c.req.valid('json'), key)
    if (replayed) c.header('Idempotent-Replayed', 'true')
    // Over the per-user budget of holds the request is answered at once, as with wait=0.
    const wait = asked !== undefined && asked > 0 && !(await mayWait(c.env, c.var.user.id)) ? 0 : asked
    if (wait !== undefined) {
      const ended = await waitForTaskEnd(c.env, c.var.db, c.var.user.id, task.id, wait * 1000, c.req.raw.signal)
      if (ended) return c.json({ success: true as const, data: { task: ended } }, 200)
      if (wait > 0) return c.json({ success: true as const, data: { task: await getTask(c.env, c.var.db, c.var.user.id, task.id) } }, 202)
    }
    const images = await resultImages(c.env, c.var.db, [task])
    return c.json({ success: true as const, data: { task: toTaskDto(task, images) } }, 202)
  })
  .openapi(listTasksRoute, async (c) => {
    const { page, limit, status } = c.req.valid('query')
    const { items, total } = await listTasks(c.env, c.var.db, c.var.user.id, { page, limit, status })
    return c.json({ success: true as const, data: paginate(items, total, page, limit) }, 200)
  })
  .openapi(getTaskRoute, async (c) => {
    const task = await getTask(c.env, c.var.db, c.var.user.id, c.req.valid('param').id)
    return c.json({ success: true as const, data: { task } }, 200)
  })
  .openapi(cancelTaskRoute, async (c) => {
    const task = await cancelTask(c.env, c.var.db, c.var.user.id, c.req.valid('param').id, (work) => c.executionCtx.waitUntil(work))
    return c.json({ success: true as const, data: { task }, message: 'Task canceled and refunded' }, 200)
  })
  .openapi(getQueueStatsRoute, async (c) => c.json({ success: true as const, data: await queueStats(c.var.db, c.var.user.id) }, 200))
