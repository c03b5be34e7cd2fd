import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { E2E } from './e2e-env'
import { e2eDatabaseUrl } from './e2e-db'

export interface SecondDashboard {
  baseURL: string
  output(): string
  stop(): Promise<void>
}

/**
 * A second dashboard on another target database of the e2e cluster: `next start` on the e2e
 * server's build (never a second build, which would rewrite .next under the running server), with
 * the environment scripts/start.ts gives it, and the same state database and session secret, so
 * the saved sign-ins of every role work on it too. Starting it costs seconds.
 */
/** A port nobody listens on now (E2E_PORT + 1 may be another engineer's or CI job's server). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export async function startSecondDashboard(opts: { targetUrl: string; env?: Record<string, string> }): Promise<SecondDashboard> {
  const port = await freePort()
  const { authSecret } = JSON.parse(fs.readFileSync(path.join(E2E.dataDir, 'secrets.json'), 'utf8')) as { authSecret: string }
  const baseURL = `http://localhost:${port}`
  const dataDir = `${E2E.dataDir}-second`
  fs.rmSync(dataDir, { recursive: true, force: true })
  const nextBin = path.join('node_modules', 'next', 'dist', 'bin', 'next')
  const child: ChildProcess = spawn(process.execPath, [nextBin, 'start', '--port', String(port)], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      DBADMIN_TARGET_URL: opts.targetUrl,
      DBADMIN_STATE_URL: e2eDatabaseUrl('dbadmin_state'),
      DBADMIN_DEMO: '0',
      AUTH_SECRET: authSecret,
      NEXTAUTH_URL: baseURL,
      NEXT_TELEMETRY_DISABLED: '1',
      INTEGRITY_SCHEDULE_HOURS: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      child.kill('SIGTERM')
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the second dashboard exited (${child.exitCode}):\n${output}`)
    try {
      // Only once our own server says it is ready: a health answer alone could come from another one.
      if (/Ready in/.test(output) && (await fetch(`${baseURL}/api/health`)).ok) return { baseURL, stop, output: () => output }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  await stop()
  throw new Error(`the second dashboard did not answer within 120 s:\n${output}`)
}
