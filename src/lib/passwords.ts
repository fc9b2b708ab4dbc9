import { fromBase64, timingSafeEqual, toBase64 } from './ids'

/**
 * Production Workers cap PBKDF2 at 100,000 iterations (local workerd does not), so this is
 * both our target and our ceiling. The stored format carries algorithm and iterations:
 * `pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`, so a later change can rehash on login.
 */
export const PBKDF2_ITERATIONS = 100_000
const ALGORITHM = 'pbkdf2_sha256'
const KEY_BITS = 256

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    KEY_BITS,
  )
  return new Uint8Array(bits)
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  if (iterations > PBKDF2_ITERATIONS) {
    throw new Error(`PBKDF2 iterations above the Workers cap of ${PBKDF2_ITERATIONS}`)
  }
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(password, salt, iterations)
  return `${ALGORITHM}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`
}

export interface PasswordCheck {
  valid: boolean
  /** True when the stored hash uses other parameters than today's: store a fresh hash. */
  needsRehash: boolean
}

export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  const [algorithm, iterationsText, saltText, hashText] = stored.split('$')
  const iterations = Number(iterationsText)
  if (
    algorithm !== ALGORITHM ||
    !Number.isInteger(iterations) ||
    iterations < 1 ||
    iterations > PBKDF2_ITERATIONS ||
    !saltText ||
    !hashText
  ) {
    return { valid: false, needsRehash: false }
  }
  const expected = fromBase64(hashText)
  const actual = await derive(password, fromBase64(saltText), iterations)
  const valid = timingSafeEqual(actual, expected)
  return { valid, needsRehash: valid && iterations !== PBKDF2_ITERATIONS }
}

/** Spends the same time as a real check, so unknown accounts cannot be told apart by timing. */
export async function burnPasswordCheck(password: string): Promise<void> {
  await derive(password, new Uint8Array(16), PBKDF2_ITERATIONS)
}
