/**
 * Queue entry point. Each message is acked or retried on its own. Until the generation issue
 * defines job messages, anything that arrives is unknown: it is logged (type only) and acked so
 * it cannot loop through retries into the dead-letter queue.
 */
export async function handleQueue(batch: MessageBatch<unknown>, _env: Env): Promise<void> {
  for (const message of batch.messages) {
    const type =
      message.body && typeof message.body === 'object' && 'type' in message.body ? String(message.body.type) : 'unknown'
    console.warn(JSON.stringify({ level: 'warn', queue: batch.queue, messageId: message.id, type, msg: 'unhandled message acked' }))
    message.ack()
  }
}
