import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export interface DevServer {
  url: string
  stop(): Promise<void>
}

/**
 * Starts `wrangler dev` on a free port with its own fresh local state (migrations applied), as
 * a newcomer's `npm run dev` would, but without touching the developer's .wrangler/state.
 */
export async function startDevServer(): Promise<DevServer> {
  const persist = mkdtempSync(join(tmpdir(), 'darkroom-e2e-'))
  const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' }
  execFileSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], { env, stdio: 'ignore' })
  const port = await freePort()
  const child: ChildProcess = spawn(
    'wrangler',
    ['dev', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', persist, '--var', 'ENVIRONMENT:development', '--show-interactive-dev-session=false'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output.slice(-2000)}`)), 90_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (/Ready on/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output.slice(-2000)}`)))
  })
  // A server that did not come up must not outlive the test run.
  await started.catch((error: unknown) => {
    child.kill('SIGTERM') // wrangler stops its workerd on SIGTERM
    rmSync(persist, { recursive: true, force: true })
    throw error
  })
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => setTimeout(r, 500))
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(persist, { recursive: true, force: true })
    },
  }
}
