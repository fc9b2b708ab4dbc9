#!/usr/bin/env node
// 200 generation tasks through the local provider of the running dev server: tasks/s and the
// time from submitting each task to its `task.completed` event on the user's WebSocket.
// Usage: npm run dev  (other terminal), then: npm run bench:pipeline
import { api, BASE_URL, percentile, printTable, signIn, signInWithUser, sleep } from './lib/client.mjs'

const TASKS = Number(process.env.TASKS ?? 200)
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 20)
const TASK_BODY = { prompt: 'benchmark: a lighthouse at dusk', size: '512x512', steps: 20 }
const COST = 2 // 512x512, 20 steps, no scene (see the cost formula)

const user = await signInWithUser('demo')
const admin = await signIn('admin')
const grant = await api('POST', '/api/credits/grant', admin, { userId: user.userId, amount: TASKS * COST })
if (grant.status !== 200) throw new Error(`grant failed: ${JSON.stringify(grant.body)}`)

const ws = new WebSocket(`${BASE_URL.replace(/^http/, 'ws')}/api/ws?token=${user.token}`)
await new Promise((resolve, reject) => {
  ws.onopen = resolve
  ws.onerror = () => reject(new Error('WebSocket failed'))
})
const submittedAt = new Map()
const completedAt = new Map()
const failed = new Map()
ws.onmessage = (event) => {
  const frames = JSON.parse(event.data)
  for (const frame of Array.isArray(frames) ? frames : [frames]) {
    if (frame.type === 'task.completed') completedAt.set(frame.data.taskId, performance.now())
    if (frame.type === 'task.failed') failed.set(frame.data.taskId, frame.data.error)
  }
}

console.log(`${TASKS} tasks, ${IN_FLIGHT} submissions in flight, server ${BASE_URL}`)
const started = performance.now()
const submitTimes = []
let next = 0
async function submitter() {
  while (next < TASKS) {
    next++
    const t0 = performance.now()
    const res = await fetch(`${BASE_URL}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(TASK_BODY),
    })
    const body = await res.json()
    if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`)
    submitTimes.push(performance.now() - t0)
    submittedAt.set(body.data.task.id, t0)
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, submitter))
const deadline = performance.now() + 180_000
while (completedAt.size + failed.size < TASKS && performance.now() < deadline) await sleep(50)
const wall = (performance.now() - started) / 1000
ws.close()

const latencies = [...completedAt].filter(([id]) => submittedAt.has(id)).map(([id, t]) => t - submittedAt.get(id))
const ms = (v) => (v === undefined ? 'n/a' : `${v.toFixed(0)} ms`)
printTable('Generation pipeline (local provider)', ['metric', 'value'], [
  ['tasks completed', `${completedAt.size} / ${TASKS}${failed.size ? ` (${failed.size} failed)` : ''}`],
  ['throughput', `${(completedAt.size / wall).toFixed(1)} tasks/s over ${wall.toFixed(1)} s`],
  ['submit → task.completed p50', ms(percentile(latencies, 50))],
  ['submit → task.completed p99', ms(percentile(latencies, 99))],
  ['POST /api/tasks p50 / p99', `${ms(percentile(submitTimes, 50))} / ${ms(percentile(submitTimes, 99))}`],
])
if (completedAt.size < TASKS) process.exitCode = 1
