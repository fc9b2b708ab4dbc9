import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'
import { users } from './accounts'

/** Style presets of the AI photo system: a prompt template with `{placeholders}` and a price. */
export const scenes = sqliteTable(
  'scenes',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description'),
    category: text('category'),
    coverImageUrl: text('cover_image_url'),
    promptTemplate: text('prompt_template').notNull(),
    negativePrompt: text('negative_prompt'),
    defaultParams: text('default_params', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** Credits per 512x512 image at up to 30 steps (see the cost formula). */
    cost: integer('cost').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('scenes_active_order_idx').on(t.active, t.sortOrder)],
)

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]
/** Why a failed task failed (`error_code`); how each is decided: features/tasks/error-codes.ts. */
export const TASK_ERROR_CODES = ['GENERATION_FAILED', 'CONTENT_VIOLATION'] as const
export type TaskErrorCode = (typeof TASK_ERROR_CODES)[number]

export const tasks = sqliteTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: TASK_STATUSES }).notNull(),
    progress: integer('progress').notNull().default(0),
    prompt: text('prompt').notNull(),
    negativePrompt: text('negative_prompt'),
    model: text('model').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    batchSize: integer('batch_size').notNull(),
    cfgScale: real('cfg_scale').notNull(),
    steps: integer('steps').notNull(),
    seed: integer('seed').notNull(),
    sampler: text('sampler').notNull(),
    clipSkip: integer('clip_skip').notNull(),
    sceneId: text('scene_id'),
    inputImageIds: text('input_image_ids', { mode: 'json' }).$type<string[]>(),
    resultImageIds: text('result_image_ids', { mode: 'json' }).$type<string[]>(),
    cost: integer('cost').notNull(),
    provider: text('provider').notNull(),
    providerJobId: text('provider_job_id'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    /** Machine code of a failure: `GENERATION_FAILED`, `CONTENT_VIOLATION` (see tasks/error-codes); null unless failed. */
    errorCode: text('error_code', { enum: TASK_ERROR_CODES }),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    estimatedSeconds: integer('estimated_seconds').notNull(),
    createdAt: timestamp('created_at').notNull(),
    startedAt: timestamp('started_at'),
    finishedAt: timestamp('finished_at'),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    index('tasks_user_created_idx').on(t.userId, t.createdAt),
    index('tasks_status_idx').on(t.status, t.updatedAt),
    uniqueIndex('tasks_user_idempotency_unique').on(t.userId, t.idempotencyKey),
    index('tasks_provider_job_idx').on(t.provider, t.providerJobId),
  ],
)

/** Webhook deliveries already processed, by `webhook-id` (idempotency); pruned after 7 days. */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    taskId: text('task_id'),
    receivedAt: timestamp('received_at').notNull(),
  },
  (t) => [index('webhook_events_received_idx').on(t.receivedAt)],
)
