import { requireSecret } from '../../lib/locality'
import { toHex } from '../../lib/ids'

/** The network a client address belongs to (IPv4 address, IPv6 /64): one rule for every limit. */
export { networkOf } from '../../lib/network'

const encoder = new TextEncoder()

/**
 * A keyed hash of a network, so the table of known networks does not store client addresses
 * (a plain hash of an IPv4 address is reversed by trying all 2^32).
 */
export async function networkHash(env: Env, network: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(requireSecret(env, 'JWT_SECRET')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`network:${network}`))
  return toHex(new Uint8Array(mac)).slice(0, 32)
}
