import { DurableObject } from 'cloudflare:workers'

/**
 * One per live session: will own guests' WebSockets and the ordered event log they resume
 * from. The live-sessions issue fills it in; until then it only answers that it has no routes.
 */
export class LiveRoom extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    return Response.json({ success: false, error: 'Not available yet', code: 'NOT_FOUND' }, { status: 404 })
  }
}
