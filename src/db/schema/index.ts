/**
 * The D1 schema, one file per owning feature area. Enum tuples are exported here so zod and
 * OpenAPI use the same values as the columns.
 */
export * from './accounts'
export * from './audit'
export * from './credits'
export * from './editor'
export * from './generation'
export * from './images'
export * from './live'
export * from './realtime'
export * from './settings'
export * from './store'
export * from './works'
import type { sessions, users } from './accounts'
import type { scenes, tasks } from './generation'
import type { images } from './images'
import type { liveGuests, livePhotos, liveSessions } from './live'
import type { workComments, works } from './works'
import type { creditPackages, orders } from './store'
import type { chatMessages, chatSessions } from './editor'

export type User = typeof users.$inferSelect
export type LiveSession = typeof liveSessions.$inferSelect
export type LivePhoto = typeof livePhotos.$inferSelect
export type LiveGuest = typeof liveGuests.$inferSelect
export type Task = typeof tasks.$inferSelect
export type Scene = typeof scenes.$inferSelect
export type Image = typeof images.$inferSelect
export type Session = typeof sessions.$inferSelect
export type Work = typeof works.$inferSelect
export type WorkComment = typeof workComments.$inferSelect
export type CreditPackage = typeof creditPackages.$inferSelect
export type Order = typeof orders.$inferSelect
export type ChatSession = typeof chatSessions.$inferSelect
export type ChatMessage = typeof chatMessages.$inferSelect
