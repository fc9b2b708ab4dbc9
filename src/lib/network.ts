/**
 * The network a client address stands for in abuse limits: an IPv4 address as is, an IPv6
 * address by its /64 prefix (one subscriber usually gets a whole /64, so each of its addresses
 * is not a fresh budget). IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function networkOf(ip: string): string {
  const address = ip.trim().toLowerCase()
  if (!address.includes(':')) return address
  const mapped = address.match(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/)
  if (mapped) return mapped[1]!
  const [head = '', tail = ''] = address.split('%')[0]!.split('::')
  const left = head ? head.split(':') : []
  const right = address.includes('::') && tail ? tail.split(':') : []
  // An embedded IPv4 tail takes two groups; it never reaches the first four.
  const missing = Math.max(0, 8 - left.length - right.length)
  const groups = address.includes('::') ? [...left, ...Array<string>(missing).fill('0'), ...right] : left
  const prefix = groups.slice(0, 4).map((g) => (g.replace(/^0+(?=.)/, '') || '0'))
  while (prefix.length < 4) prefix.push('0')
  return `${prefix.join(':')}::/64`
}
