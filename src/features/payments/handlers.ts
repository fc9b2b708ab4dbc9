import { createRouter } from '../../lib/openapi'

/** The store under `/api/credits`: packages, recharge, orders (issue 12, being built). */
export const storeRoutes = createRouter()

/** Provider notifications and the dev pay link under `/api/payments` (open during maintenance). */
export const paymentRoutes = createRouter()

/** Admin packages and orders under `/api/admin`. */
export const adminStoreRoutes = createRouter()
