/** The generation queue's message: "work on this task". Tasks own it; the consumer in jobs/ reads it. */
export interface GenerationMessage {
  type: 'generate'
  taskId: string
}

export function isGenerationMessage(body: unknown): body is GenerationMessage {
  return (
    typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'generate' &&
    typeof (body as { taskId?: unknown }).taskId === 'string'
  )
}

/** Queues (or, with `delaySeconds`, re-queues for a later poll) the generation of a task. */
export async function enqueueGeneration(env: Env, taskId: string, options: { delaySeconds?: number } = {}): Promise<void> {
  const message: GenerationMessage = { type: 'generate', taskId }
  await env.GENERATION_QUEUE.send(message, { ...options, contentType: 'json' })
}
