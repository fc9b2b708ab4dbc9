import { createApp } from './app'
import { handleQueue } from './jobs/queue'
import { handleScheduled } from './jobs/scheduled'

export { LiveRoom } from './features/live/room/live-room'
export { UserHub } from './realtime/user-hub'

const app = createApp()

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>
