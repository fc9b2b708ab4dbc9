import { describe, expect, it } from 'vitest'
import { freshIp, login, registerOnly } from '../helpers'

/** Fixed windows (1 and 15 minutes) must not turn over mid-test: wait out their last 10 seconds. */
async function awayFromWindowEdges() {
  for (const windowMs of [60_000, 900_000]) {
    const left = windowMs - (Date.now() % windowMs)
    if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50))
  }
}

describe('a burst of guesses from many networks at once', () => {
  it('is counted before it is judged: attempts past the attack threshold share the unknown-network budget', async () => {
    const victim = await registerOnly('burst')
    await awayFromWindowEdges()
    // 40 wrong passwords from 40 networks, all in flight together. Each is counted account-wide
    // before the attack check, so exactly 20 see the account under attack, and of those the 10
    // beyond the shared unknown-network budget (10 a minute) are refused with 429.
    const results = await Promise.all(Array.from({ length: 40 }, () => login(victim.username, 'wrong-password-1', {}, { ip: freshIp() })))
    expect(results.filter((r) => r.status === 401)).toHaveLength(30)
    expect(results.filter((r) => r.status === 429)).toHaveLength(10)
  })

  it('right passwords are taken back: they never push the account into attack mode', async () => {
    const owner = await registerOnly('burst')
    await awayFromWindowEdges()
    const ip = freshIp()
    for (let i = 0; i < 4; i++) expect((await login(owner.username, owner.password, {}, { ip })).status).toBe(200)
    // 19 failures from strangers stay below the threshold of 20, whatever the owner's own sign-ins did.
    const strangers = await Promise.all(Array.from({ length: 19 }, () => login(owner.username, 'wrong-password-1', {}, { ip: freshIp() })))
    expect(strangers.every((r) => r.status === 401)).toBe(true)
    // A never-seen network still gets its free failures (not under attack).
    const fresh = freshIp()
    expect((await login(owner.username, 'wrong-password-1', {}, { ip: fresh })).status).toBe(401)
    expect((await login(owner.username, owner.password, {}, { ip: fresh })).status).toBe(200)
  })
})
