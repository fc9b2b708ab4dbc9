import type { LivePhoto } from '../../../db/schema'
import type { Db } from '../../../env'
import type { RoomEvent, StoredPhoto } from '../room/schemas'
import { bothDtos } from './dto'

/** A changed photo with the owner's (`dto`) and the guests' (`guestDto`) stored view of it. */
export type PhotoChange = Pick<LivePhoto, 'status'> & { dto: StoredPhoto; guestDto: StoredPhoto }

/**
 * The events a change of a photo means, per audience: guests only ever hear of approved photos
 * (an approval is `photo.added` for them, a hide or delete `photo.removed`).
 */
export function photoEvents(before: Pick<LivePhoto, 'status'> | null, after: PhotoChange | null, id: string): RoomEvent[] {
  const wasPublic = before?.status === 'approved'
  const isPublic = after?.status === 'approved'
  const events: RoomEvent[] = []
  if (!after) {
    events.push({ type: 'photo.removed', data: { id }, audience: wasPublic ? 'all' : 'owner' })
    return events
  }
  if (!before) {
    events.push({ type: 'photo.added', data: { photo: after.dto }, audience: 'owner' })
    if (isPublic) events.push({ type: 'photo.added', data: { photo: after.guestDto }, audience: 'guests' })
    return events
  }
  if (isPublic && !wasPublic) {
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
    events.push({ type: 'photo.added', data: { photo: after.guestDto }, audience: 'guests' })
  } else if (!isPublic && wasPublic) {
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
    events.push({ type: 'photo.removed', data: { id }, audience: 'guests' })
  } else if (isPublic) {
    // Same change for both, but the owner's copy carries owner-only fields.
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
    events.push({ type: 'photo.updated', data: { photo: after.guestDto }, audience: 'guests' })
  } else {
    events.push({ type: 'photo.updated', data: { photo: after.dto }, audience: 'owner' })
  }
  return events
}

/** The events of one photo going from `before` to `after` (null: deleted), with its stored views. */
export async function changeEvents(db: Db, before: LivePhoto | null, after: LivePhoto | null, id: string): Promise<RoomEvent[]> {
  if (!after) return photoEvents(before, null, id)
  const [dto, guestDto] = await bothDtos(db, after)
  return photoEvents(before, { status: after.status, dto, guestDto }, id)
}
