import { requireSecret } from '../../lib/config'
import { toHex } from '../../lib/ids'

/**
 * The network a client address belongs to, for sign-in throttling: an IPv4 address itself, an
 * IPv6 address's /64 prefix (one subscriber usually holds a whole /64, so single IPv6
 * addresses are free to rotate), IPv4-mapped IPv6 as IPv4.
 */
export function networkOf(ip: string): string {
  const value = ip.trim().toLowerCase().replace(/%.*$/, '')
  const mapped = value.match(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/)
  if (mapped) return mapped[1]!
  if (!value.includes(':')) return value
  const [head = '', tail = ''] = value.split('::')
  const left = head ? head.split(':') : []
  const right = value.includes('::') && tail ? tail.split(':') : []
  const groups = value.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  return `${groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16)).join(':')}::/64`
}

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
