/**
 * The live WebSocket protocol, declared once: what the Worker publishes to a session's room
 * (`RoomEvent`), and what sockets receive (`LiveFrame`). Used by the server, the tests and the
 * guest page (`public/assets/live.js` imports these types through JSDoc), so this file and what
 * it imports stay free of Worker-only globals.
 */
import type { z } from '@hono/zod-openapi'
import type { PhotoSchema } from '../photos/schemas'
import type { SessionSchema } from '../sessions/schemas'

/** A photo as sockets receive it: the live photo of the HTTP API, URLs signed at delivery. */
export type LivePhotoDto = z.output<typeof PhotoSchema>
/** A session as guests see it (`session.updated`). */
export type LiveSessionDto = z.output<typeof SessionSchema>
/** A photo as an event stores it: no URLs (the room signs them when it delivers the event). */
export type StoredPhoto = Omit<LivePhotoDto, 'thumbUrl' | 'previewUrl' | 'downloadUrl'>

/** The `data` of each event the Worker publishes, photos given as `P`. */
export interface LiveEventData<P> {
  'photo.added': { photo: P }
  'photo.updated': { photo: P }
  'photo.removed': { id: string }
  'session.updated': { session: LiveSessionDto }
  /** Owner only, never stored (no seq). */
  'upload.progress': { uploadId: string; received: number; total: number }
  /** Owner only: the session's wrong-code budget ran out; new devices wait until `until`. */
  'session.verify_paused': { sessionId: string; until: string; reason: string }
}
export type LiveEventType = keyof LiveEventData<unknown>

/** `all`: owner and guests; `owner` or `guests`: only them. */
export type Audience = 'all' | 'owner' | 'guests'

/** An event as the Worker hands it to the room; the room gives it its `seq`. */
export type RoomEvent = {
  [K in LiveEventType]: {
    type: K
    data: LiveEventData<StoredPhoto>[K]
    audience: Audience
    /** Ephemeral events (upload progress) are not stored and carry no seq. */
    ephemeral?: boolean
  }
}[LiveEventType]

/** What the room says on its own. */
export interface RoomFrameData {
  /** First frame of every admitted socket: the log's seq at admission, who you are, guests watching. */
  connected: { seq: number; role: 'owner' | 'guest'; viewers: number }
  /** `after` was too old or too far behind: reload over HTTP, then reconnect with the new seq. */
  resync: { seq: number }
  /** Guests watching (coalesced). */
  presence: { viewers: number }
}

type FrameData = LiveEventData<LivePhotoDto> & RoomFrameData

/** One server event on a live socket; stored events (and `connected`, `resync`) carry `seq`. */
export type LiveFrame = {
  [K in keyof FrameData]: { type: K; seq?: number; data: FrameData[K]; ts: string }
}[keyof FrameData]

/** The answer to `{"type":"ping"}`. */
export interface PongFrame {
  type: 'pong'
}

/** One WebSocket message: an event, several events in order (one frame), or a pong. */
export type LiveMessage = LiveFrame | LiveFrame[] | PongFrame

/** What the room knows of its session; the Worker sends it with every publish and connect. */
export interface RoomContext {
  codeVersion: number
  downloadPolicy: LiveSessionDto['downloadPolicy']
  /** As stored in D1: the room applies the one `hasEnded` rule to these. */
  status: LiveSessionDto['status']
  /** Epoch ms after which guests are closed (null: no end time). */
  endsAt: number | null
  /** Development on localhost: signing may use the development fallback secrets. */
  local: boolean
}
