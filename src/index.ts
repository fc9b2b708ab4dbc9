import { createApp } from './app'
import { handleQueue } from './jobs/queue'
import { handleScheduled } from './jobs/scheduled'

export { LiveRoom } from './features/live/room/live-room'
export { UserHub } from './features/hub/user-hub'

const app = createApp()

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>
