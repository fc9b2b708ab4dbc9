// A typed Darkroom client in a few lines: sign in, then call an authorized route.
// Run it against `npm run dev`:  node client/example.ts   (Node ≥ 22.18 strips the types)
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema.d.ts'

const baseUrl = process.env.DARKROOM_URL ?? 'http://localhost:8787'
const client = createClient<paths>({ baseUrl })

// Paths, bodies and answers are checked against the OpenAPI document: a typo in the path or a
// missing field is a compile error, and `data`/`error` are typed per status.
const login = await client.POST('/api/auth/login', {
  body: { login: 'demo', password: 'darkroom-demo-1' },
})
if (login.error) throw new Error(`login failed: ${login.error.code} ${login.error.error}`)
const { accessToken, user } = login.data.data
console.log(`signed in as ${user.username}; token valid for ${login.data.data.expiresIn} s`)

// Every later request carries the access token.
const bearer: Middleware = {
  onRequest({ request }) {
    request.headers.set('Authorization', `Bearer ${accessToken}`)
    return request
  },
}
client.use(bearer)

const profile = await client.GET('/api/users/profile')
if (profile.error) throw new Error(`profile failed: ${profile.error.code} ${profile.error.error}`)
console.log('profile:', profile.data.data.user)
