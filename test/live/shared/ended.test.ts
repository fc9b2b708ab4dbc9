import { describe, expect, it } from 'vitest'
import { hasEnded } from '../../../src/features/live/shared/ended'

const now = Date.parse('2026-06-20T20:00:00Z')

describe('hasEnded: the one "this live session has ended" rule', () => {
  it('is true when the photographer ended it, whatever the end time', () => {
    expect(hasEnded({ status: 'ended', endsAt: null }, now)).toBe(true)
    expect(hasEnded({ status: 'ended', endsAt: now + 3_600_000 }, now)).toBe(true)
  })

  it('is true from the end time on, given as a Date (D1 row) or epoch ms (room context, raw SQL)', () => {
    expect(hasEnded({ status: 'live', endsAt: new Date(now) }, now)).toBe(true)
    expect(hasEnded({ status: 'live', endsAt: now - 1 }, now)).toBe(true)
    expect(hasEnded({ status: 'live', endsAt: new Date(now + 1) }, now)).toBe(false)
    expect(hasEnded({ status: 'draft', endsAt: now + 1 }, now)).toBe(false)
  })

  it('is false for a session without an end time that was not ended', () => {
    expect(hasEnded({ status: 'live', endsAt: null }, now)).toBe(false)
    expect(hasEnded({ status: 'draft', endsAt: null }, now)).toBe(false)
  })
})
