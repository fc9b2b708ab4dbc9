import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { badRequest, payloadTooLarge } from './errors'

/** A human size for error messages: "2.06 MB", "51 MB", "900 KB". */
export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / 1024 / 1024).toFixed(2))} MB`
  return `${Math.ceil(bytes / 1024)} KB`
}

/**
 * Caps request bodies without buffering them. A declared Content-Length over the cap is refused
 * at once (the body is never read); within the cap the runtime's HTTP framing delivers at most
 * the declared bytes. A body without Content-Length (chunked) is counted as it streams to
 * whoever reads it: past the cap the stream fails and the request answers 413. Runs
 * before route middleware (auth) and handlers, but reads nothing itself: the IP shield and auth
 * still answer before a single body byte is read.
 */
export function limitBody(capFor: (c: Context<AppEnv>) => number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const body = c.req.raw.body
    if (!body) return next()
    const cap = capFor(c)
    const tooLarge = () => payloadTooLarge(`Request body is larger than ${describeBytes(cap)}`)
    const declared = c.req.header('Content-Length')
    if (declared !== undefined) {
      if (!/^\d{1,15}$/.test(declared.trim())) throw badRequest('Invalid Content-Length header')
      if (Number(declared) > cap) throw tooLarge()
      return next()
    }
    let received = 0
    let exceeded = false
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength
        if (received > cap) {
          exceeded = true
          controller.error(tooLarge())
          return
        }
        controller.enqueue(chunk)
      },
    })
    c.req.raw = new Request(c.req.raw, { body: body.pipeThrough(counter) })
    await next()
    // Whatever the reader made of the failed stream (a 400 for a "malformed" form, say), the
    // truth is that the body was too large.
    if (exceeded) throw tooLarge()
  })
}
