import { z } from '@hono/zod-openapi'
import { ORDER_STATUSES, PAYMENT_PROVIDERS } from '../../db/schema'
import { PaginationQuery, paginationSchema } from '../../lib/openapi'

export const PackageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    credits: z.number().int(),
    bonusCredits: z.number().int(),
    priceCents: z.number().int().openapi({ description: 'Price in minor units (fen, cents)' }),
    currency: z.string().openapi({ description: 'ISO 4217, upper case' }),
    badge: z.string().nullable(),
  })
  .openapi('CreditPackage', { example: { id: 'pkg_01jd2c3v', name: 'Starter', credits: 60, bonusCredits: 0, priceCents: 600, currency: 'CNY', badge: null } })

export const PackageListSchema = z
  .object({
    items: z.array(PackageSchema),
    providers: z.array(z.enum(PAYMENT_PROVIDERS)).openapi({ description: 'Providers a recharge may use right now (configured; `dev` only in development)' }),
  })
  .openapi('CreditPackageList', {
    example: {
      items: [{ id: 'pkg_01jd2c3v', name: 'Starter', credits: 60, bonusCredits: 0, priceCents: 600, currency: 'CNY', badge: null }],
      providers: ['wechat'],
    },
  })

export const AdminPackageSchema = PackageSchema.extend({
  sortOrder: z.number().int(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi('AdminCreditPackage', {
  example: {
    id: 'pkg_01jd2c3v', name: 'Starter', credits: 60, bonusCredits: 0, priceCents: 600, currency: 'CNY', badge: null, sortOrder: 10, active: true,
    createdAt: '2026-11-01T08:00:00.000Z', updatedAt: '2026-11-01T08:00:00.000Z',
  },
})

const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be three upper-case letters (ISO 4217)')
  .openapi({ example: 'CNY' })

export const PackageBody = z
  .object({
    name: z.string().trim().min(1).max(60),
    credits: z.number().int().min(1).max(1_000_000),
    bonusCredits: z.number().int().min(0).max(1_000_000).default(0),
    priceCents: z.number().int().min(1).max(100_000_000),
    currency,
    badge: z.string().trim().min(1).max(30).nullable().optional(),
    sortOrder: z.number().int().min(-10_000).max(10_000).default(0),
    active: z.boolean().default(true),
  })
  .strict()
  .openapi('CreditPackageInput', { example: { name: 'Value', credits: 300, bonusCredits: 30, priceCents: 2800, currency: 'CNY', badge: 'Popular', sortOrder: 20, active: true } })

export const PackageUpdateBody = z
  .object({
    name: PackageBody.shape.name.optional(),
    credits: PackageBody.shape.credits.optional(),
    bonusCredits: z.number().int().min(0).max(1_000_000).optional(),
    priceCents: PackageBody.shape.priceCents.optional(),
    currency: currency.optional(),
    badge: z.string().trim().min(1).max(30).nullable().optional(),
    sortOrder: z.number().int().min(-10_000).max(10_000).optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Nothing to change' })
  .openapi('CreditPackageUpdate', { example: { priceCents: 2600, badge: null } })

export const PackageIdParam = z.object({ id: z.string().max(64) })
export const DeletePackageSchema = z
  .object({ id: z.string(), deleted: z.boolean(), deactivated: z.boolean() })
  .openapi('CreditPackageDeletion', { example: { id: 'pkg_01jd2c3v', deleted: false, deactivated: true } })

export const PaymentSchema = z
  .record(z.string(), z.unknown())
  .openapi({
    description:
      'What the client pays with. wechat: `{provider, prepayId, requestPayment:{timeStamp, nonceStr, package, signType, paySign}}` ' +
      '(pass `requestPayment` to `wx.requestPayment`); stripe: `{provider, sessionId, url}` (open `url`); dev: `{provider, payUrl, method}` ' +
      '(POST it with the same bearer token). Null while the provider has not answered or when it failed.',
    example: { provider: 'stripe', sessionId: 'cs_test_a1b2', url: 'https://checkout.stripe.com/c/pay/cs_test_a1b2' },
  })

const ORDER_EXAMPLE = {
  id: 'ord_01jd2c5k', packageId: 'pkg_01jd2c3v', provider: 'stripe' as const, status: 'pending' as const, amountCents: 600, currency: 'CNY', credits: 60, bonusCredits: 0,
  payment: { provider: 'stripe', sessionId: 'cs_test_a1b2', url: 'https://checkout.stripe.com/c/pay/cs_test_a1b2' },
  failureReason: null, expiresAt: '2026-11-22T07:30:00.000Z', paidAt: null, createdAt: '2026-11-22T07:00:00.000Z',
}

export const OrderSchema = z
  .object({
    id: z.string(),
    packageId: z.string(),
    provider: z.enum(PAYMENT_PROVIDERS),
    status: z.enum(ORDER_STATUSES),
    amountCents: z.number().int(),
    currency: z.string(),
    credits: z.number().int(),
    bonusCredits: z.number().int(),
    payment: PaymentSchema.nullable(),
    failureReason: z.string().nullable(),
    expiresAt: z.string(),
    paidAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Order', { example: ORDER_EXAMPLE })

export const AdminOrderSchema = OrderSchema.extend({ userId: z.string(), username: z.string().nullable(), providerRef: z.string().nullable() }).openapi('AdminOrder', { example: { ...ORDER_EXAMPLE, userId: 'usr_01hx2k9q7v3m', username: 'mei', providerRef: null } })

export const RechargeBody = z
  .object({ packageId: z.string().min(1).max(64), provider: z.enum(PAYMENT_PROVIDERS) })
  .strict()
  .openapi('Recharge', { example: { packageId: 'pkg_01jd2c3v', provider: 'wechat' } })

export const OrderIdParam = z.object({ id: z.string().max(64) })
export const DevPayParam = z.object({ orderId: z.string().max(64) })
export const OrderListQuery = PaginationQuery.extend({ status: z.enum(ORDER_STATUSES).optional() })

const datetime = z.iso.datetime({ offset: true })
export const AdminOrderQuery = PaginationQuery.extend({
  status: z.enum(ORDER_STATUSES).optional(),
  userId: z.string().max(64).optional(),
  provider: z.enum(PAYMENT_PROVIDERS).optional(),
  from: datetime.optional().openapi({ description: 'Created at or after (ISO 8601)', example: '2026-11-01T00:00:00Z' }),
  to: datetime.optional().openapi({ description: 'Created before (ISO 8601, exclusive)', example: '2026-12-01T00:00:00Z' }),
}).refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { message: '`from` must be before `to`', path: ['from'] })

export const OrderPageSchema = paginationSchema(OrderSchema).openapi('OrderPage')
export const AdminOrderPageSchema = paginationSchema(AdminOrderSchema).openapi('AdminOrderPage')

export const SettleResultSchema = z
  .object({ orderId: z.string(), result: z.string(), order: OrderSchema.nullable() })
  .openapi('DevPayment', {
    example: {
      orderId: 'ord_01jd2c5k', result: 'credited',
      order: { ...ORDER_EXAMPLE, provider: 'dev', status: 'paid', payment: { provider: 'dev', payUrl: '/api/payments/dev/ord_01jd2c5k/pay', method: 'POST' }, paidAt: '2026-11-22T07:01:00.000Z' },
    },
  })

export const CreditStatsSchema = z
  .object({
    balance: z.number().int(),
    earned: z.number().int().openapi({ description: 'Sum of every credit (positive ledger rows), refunds and purchases included' }),
    spent: z.number().int().openapi({ description: 'Sum of every debit, as a positive number' }),
    refunded: z.number().int().openapi({ description: 'Task refunds' }),
    purchased: z.number().int().openapi({ description: 'Credits bought (credits + bonus of paid orders)' }),
    byReason: z.record(z.string(), z.number().int()).openapi({ description: 'Net amount per ledger reason' }),
    last30Days: z.array(z.object({ date: z.string(), earned: z.number().int(), spent: z.number().int() })).openapi({ description: 'One entry per UTC day, oldest first, 30 days ending today' }),
  })
  .openapi('CreditStats', {
    example: {
      balance: 152, earned: 370, spent: 218, refunded: 4, purchased: 330,
      byReason: { signup_bonus: 100, purchase: 330, task_charge: -222, task_refund: 4 },
      last30Days: [{ date: '2026-11-22', earned: 330, spent: 12 }],
    },
  })

export type OrderDto = z.infer<typeof OrderSchema>
export type PackageInput = z.infer<typeof PackageBody>
export type PackageUpdate = z.infer<typeof PackageUpdateBody>
