/** Close codes a peer may report but an endpoint must not send (RFC 6455 §7.4.1). */
const RESERVED_CLOSE_CODES = new Set([1004, 1005, 1006, 1015])

/**
 * Closes a socket, ignoring one that is already gone. A reserved code (e.g. 1005 "no status",
 * passed on from the other side of a relay) becomes 1000, and the reason is cut to the
 * 123-byte limit (100 characters keeps multi-byte text under it).
 */
export function closeQuietly(socket: WebSocket, code: number, reason: string) {
  try {
    socket.close(RESERVED_CLOSE_CODES.has(code) ? 1000 : code, reason.slice(0, 100))
  } catch {
    // already closed
  }
}
