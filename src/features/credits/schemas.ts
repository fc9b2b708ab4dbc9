import { z } from '@hono/zod-openapi'
import { LEDGER_REASONS } from '../../db/schema'

export const BalanceSchema = z.object({ balance: z.number().int().openapi({ example: 96 }) })

export const LedgerEntrySchema = z
  .object({
    id: z.string(),
    amount: z.number().int().openapi({ description: 'Positive: credited; negative: spent' }),
    reason: z.enum(LEDGER_REASONS),
    taskId: z.string().nullable(),
    orderId: z.string().nullable(),
    balanceAfter: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('CreditLedgerEntry')

export const LedgerQuery = z.object({ reason: LedgerEntrySchema.shape.reason.optional() })

export const GrantBody = z
  .object({
    userId: z.string().max(64),
    amount: z.number().int().min(1).max(1_000_000),
    orderId: z.string().max(100).optional().openapi({ description: 'A payment or order reference; makes the grant a `purchase`' }),
  })
  .openapi('CreditGrant', { example: { userId: 'usr_01hx2k9q7v3m', amount: 500, orderId: 'order_2026_0142' } })

export type LedgerEntry = z.infer<typeof LedgerEntrySchema>
