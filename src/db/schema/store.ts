import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { timestamp } from './columns'
import { users } from './accounts'

export const PAYMENT_PROVIDERS = ['wechat', 'stripe', 'dev'] as const
export const ORDER_STATUSES = ['pending', 'paid', 'expired', 'failed', 'refunded'] as const

/**
 * Credit packages on sale. Owned by the store (features/payments). A package that has orders
 * is never deleted, only deactivated (`active = false`): orders copy its terms when created.
 */
export const creditPackages = sqliteTable(
  'credit_packages',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    credits: integer('credits').notNull(),
    bonusCredits: integer('bonus_credits').notNull().default(0),
    priceCents: integer('price_cents').notNull(),
    /** ISO 4217, upper case (CNY, USD, …). */
    currency: text('currency').notNull(),
    badge: text('badge'),
    /** Display order, ascending; ties by price. */
    sortOrder: integer('sort_order').notNull().default(0),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('credit_packages_active_sort_idx').on(t.active, t.sortOrder)],
)

/**
 * A purchase of a package. Owned by the store (features/payments); its `pending → paid`
 * transition and the credit it grants happen in one D1 batch guarded by `status`.
 * Amount, currency, credits and bonus are copied from the package when the order is created.
 */
export const orders = sqliteTable(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    packageId: text('package_id')
      .notNull()
      .references(() => creditPackages.id),
    provider: text('provider', { enum: PAYMENT_PROVIDERS }).notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    credits: integer('credits').notNull(),
    bonusCredits: integer('bonus_credits').notNull().default(0),
    /** What the client pays with (WeChat requestPayment parameters, Stripe url, dev link), JSON. */
    payment: text('payment', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** The provider's id of the payment (WeChat transaction_id, Stripe Checkout Session id). */
    providerRef: text('provider_ref'),
    failureReason: text('failure_reason'),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    expiresAt: timestamp('expires_at').notNull(),
    paidAt: timestamp('paid_at'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [
    index('orders_user_created_idx').on(t.userId, t.createdAt),
    index('orders_status_expires_idx').on(t.status, t.expiresAt),
    index('orders_created_idx').on(t.createdAt),
    index('orders_package_idx').on(t.packageId),
    uniqueIndex('orders_user_idempotency_unique').on(t.userId, t.idempotencyKey),
    uniqueIndex('orders_provider_ref_unique').on(t.provider, t.providerRef).where(sql`${t.providerRef} IS NOT NULL`),
  ],
)
