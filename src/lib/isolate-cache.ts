/**
 * A small per-isolate memo with a time to live, for cheap answers to hot, non-critical reads
 * (health checks, queue statistics): a flood of requests costs one D1 read per key and TTL.
 * Only settled values are kept (a pending promise must not be shared across requests in
 * Workers), failures are not kept, and at most `maxEntries` keys are held (oldest dropped first).
 * Values may be up to `ttlMs` stale: never cache anything that decides access or money.
 */
export class IsolateCache<T> {
  private readonly entries = new Map<string, { expires: number; value: T }>()

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key)
    if (hit && hit.expires > Date.now()) return hit.value
    const value = await load()
    this.entries.delete(key)
    this.entries.set(key, { expires: Date.now() + this.ttlMs, value })
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
    return value
  }
}
