/** Parses a JSON column; `fallback` when it is null or not valid JSON (a row must never fail a read). */
export function parseJsonColumn<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}
