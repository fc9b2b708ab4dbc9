import { describe, expect, it } from 'vitest'
import { ApiError, codesForStatus, codeToStatus, ERROR_CODES, ERROR_MEANING, rateLimited } from '../../src/lib/errors'

describe('closed error codes', () => {
  it('gives every code one status and a documented meaning', () => {
    for (const code of ERROR_CODES) {
      expect(codeToStatus[code]).toBeGreaterThanOrEqual(400)
      expect(ERROR_MEANING[code].length).toBeGreaterThan(5)
    }
  })

  it('derives the status of an ApiError from its code, so the two cannot disagree', () => {
    const error = new ApiError('INSUFFICIENT_CREDITS', 'no', { details: { required: 2 } })
    expect(error.status).toBe(402)
    expect(error.details).toEqual({ required: 2 })
    expect(rateLimited(7).headers).toEqual({ 'Retry-After': '7' })
  })

  it('falls back to the general code of a status first (used for Hono errors that only carry a status)', () => {
    expect(codesForStatus(400)[0]).toBe('VALIDATION_ERROR')
    expect(codesForStatus(401)[0]).toBe('UNAUTHORIZED')
    expect(codesForStatus(409)[0]).toBe('CONFLICT')
    expect(codesForStatus(500)[0]).toBe('SERVER_ERROR')
    expect(codesForStatus(418)).toEqual([])
  })
})
