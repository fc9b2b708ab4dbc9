// The Darkroom Worker with its D1 binding wrapped to count round trips: every batch() is one,
// every statement run on its own (first, all, run, raw) is one, and exec() is one. The count of
// a request is answered in `X-Bench-D1-Round-Trips` (D1 calls made before the response; work
// left to waitUntil is not included). Used by bench/gallery.mjs only, never deployed.
import worker from '../../src/index'

export { LiveRoom, UserHub } from '../../src/index'

function counting(db: D1Database, counter: { n: number }): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>()
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args))
        if (prop === 'first' || prop === 'all' || prop === 'run' || prop === 'raw') counter.n++
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    real.set(proxy, stmt)
    return proxy
  }
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrap(target.prepare(query))
      if (prop === 'batch' || prop === 'exec') counter.n++
      if (prop === 'batch') return (list: D1PreparedStatement[]) => target.batch(list.map((s) => real.get(s) ?? s))
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const counter = { n: 0 }
    const res = await worker.fetch(request, { ...env, DB: counting(env.DB, counter) }, ctx)
    const out = new Response(res.body, res)
    out.headers.set('X-Bench-D1-Round-Trips', String(counter.n))
    return out
  },
  queue: worker.queue,
  scheduled: worker.scheduled,
} satisfies ExportedHandler<Env>
