import { invalidImage } from '../../../lib/errors'
import { RetryableProviderError } from './types'
import { config } from '../../../lib/config'

/** Where a provider's result images may be fetched from. */
export type ResultSource = 'webhook' | 'replicate' | 'comfyui'

const DEFAULT_REPLICATE_HOSTS = ['replicate.delivery', '*.replicate.delivery']

const hostOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).hostname.toLowerCase() : null
  } catch {
    return null
  }
}

const lower = (hosts: string[]) => hosts.map((h) => h.toLowerCase())

/**
 * The host allowlist of a provider's result URLs: `REPLICATE_RESULT_HOSTS` (default
 * replicate.delivery and its subdomains), `WEBHOOK_RESULT_HOSTS` (default the host of
 * WEBHOOK_PROVIDER_URL), and for ComfyUI only the host of COMFYUI_URL. `*.example.com` matches
 * subdomains of example.com.
 */
export function resultHosts(env: Env, source: ResultSource): string[] {
  const c = config(env)
  if (source === 'replicate') return lower(c.REPLICATE_RESULT_HOSTS.length > 0 ? c.REPLICATE_RESULT_HOSTS : DEFAULT_REPLICATE_HOSTS)
  if (source === 'comfyui') return [hostOf(c.COMFYUI_URL)].filter((h): h is string => h !== null)
  if (c.WEBHOOK_RESULT_HOSTS.length > 0) return lower(c.WEBHOOK_RESULT_HOSTS)
  const own = hostOf(c.WEBHOOK_PROVIDER_URL)
  return own ? [own] : []
}

export function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  return allowed.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern))
}

/**
 * Downloads a result right away (provider URLs expire): http(s) only, the host must be on the
 * allowlist, redirects are refused (a redirect could leave the allowlist), and the body is read
 * as a stream and abandoned as soon as it passes `maxBytes` (Content-Length is not trusted).
 * Network errors, 5xx and 429 are retryable; everything else is a permanent 422 INVALID_IMAGE.
 */
export async function downloadResult(url: string, opts: { maxBytes: number; allowedHosts: readonly string[]; headers?: HeadersInit }): Promise<Uint8Array> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidImage('Result URL is not a valid URL')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidImage('Result URL must be http(s)')
  if (!hostAllowed(parsed.hostname, opts.allowedHosts)) throw invalidImage(`Result host ${parsed.hostname} is not on the allowlist`)
  let res: Response
  try {
    res = await fetch(parsed.toString(), { headers: opts.headers, redirect: 'manual', signal: AbortSignal.timeout(30_000) })
  } catch (error) {
    throw new RetryableProviderError(`download failed: ${String(error)}`)
  }
  if (res.status >= 500 || res.status === 429) {
    await res.body?.cancel()
    throw new RetryableProviderError(`download answered ${res.status}`)
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel()
    throw invalidImage('Result URL redirected; redirects are not followed')
  }
  if (!res.ok) {
    await res.body?.cancel()
    throw invalidImage(`Result download answered ${res.status}`)
  }
  return readCapped(res, opts.maxBytes)
}

async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => invalidImage(`Result image is larger than ${maxBytes} bytes`)
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
    await res.body?.cancel()
    throw tooLarge()
  }
  if (!res.body) return new Uint8Array(0)
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let total = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch (error) {
      throw new RetryableProviderError(`download interrupted: ${String(error)}`)
    }
    if (chunk.done) break
    total += chunk.value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    parts.push(chunk.value)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}
