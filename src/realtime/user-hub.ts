import { DurableObject } from 'cloudflare:workers'

/**
 * One per user: will own the user's WebSockets (`/api/ws`) and push task and credit events.
 * The generation issue fills it in; until then it only answers that it has no routes.
 */
export class UserHub extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    return Response.json({ success: false, error: 'Not available yet', code: 'NOT_FOUND' }, { status: 404 })
  }
}
