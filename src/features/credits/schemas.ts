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
    note: z.string().nullable().openapi({ description: "An admin's reason for a grant or adjustment" }),
    balanceAfter: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('CreditLedgerEntry')

export const LedgerQuery = z.object({ reason: LedgerEntrySchema.shape.reason.optional() })

export const GrantBody = z
  .object({
    userId: z.string().max(64),
    amount: z.number().int().min(1).max(1_000_000),
    note: z.string().trim().min(1).max(200).optional().openapi({ description: 'Why: kept on the ledger row and in the audit log' }),
  })
  .openapi('CreditGrant', { example: { userId: 'usr_01hx2k9q7v3m', amount: 500, note: 'Refund for the outage on 3 May' } })

export type LedgerEntry = z.infer<typeof LedgerEntrySchema>
