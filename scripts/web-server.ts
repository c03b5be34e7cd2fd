/**
 * The dashboard's HTTP server, started by scripts/start.ts in place of `next start` (or `next dev`
 * with --dev). It exists for two reasons: Next keeps a client's own X-Forwarded-For and only fills it
 * when missing, so the socket's address would be lost; here every request's forwarded headers are
 * rewritten per TRUST_PROXY before Next sees them (lib/auth/client-ip.ts). And Next drops a route's
 * Content-Length, which a download needs (lib/http/content-length.ts).
 */
import { createServer } from 'node:http'
import path from 'node:path'
import next from 'next'
import { rewriteForwardedHeaders } from '../lib/auth/client-ip'
import { restoreContentLength } from '../lib/http/content-length'
import { loadConfig } from '../lib/config'

const root = path.resolve(import.meta.dirname, '..')
const dev = process.argv.includes('--dev')

async function main() {
  const config = loadConfig(process.env, { purpose: 'server' })
  const app = next({ dev, dir: root, hostname: config.HOSTNAME, port: config.PORT })
  const handle = app.getRequestHandler()
  await app.prepare()
  const upgrade = dev ? app.getUpgradeHandler() : null

  const server = createServer((req, res) => {
    rewriteForwardedHeaders(req.headers, req.socket.remoteAddress, config.TRUST_PROXY)
    restoreContentLength(res)
    handle(req, res).catch((e: unknown) => {
      console.error('[dbadmin] request failed:', e)
      if (!res.headersSent) res.statusCode = 500
      res.end()
    })
  })
  if (upgrade) {
    server.on('upgrade', (req, socket, head) => {
      rewriteForwardedHeaders(req.headers, req.socket.remoteAddress, config.TRUST_PROXY)
      upgrade(req, socket, head).catch(() => socket.destroy())
    })
  }

  let closing = false
  const stop = (code: number) => {
    if (closing) return
    closing = true
    server.close()
    server.closeAllConnections()
    // Running jobs stop at their next safe point and are recorded interrupted (pg-boss retries them elsewhere or at the next start).
    const stopJobs = (globalThis as unknown as { __dbadminStopJobs?: () => Promise<void> }).__dbadminStopJobs
    Promise.resolve(stopJobs?.())
      .catch((e: unknown) => console.error('[dbadmin] stopping the job queue:', (e as Error)?.message ?? e))
      .then(() => app.close())
      .finally(() => process.exit(code))
  }
  process.on('SIGTERM', () => stop(143))
  process.on('SIGINT', () => stop(130))

  server.listen(config.PORT, config.HOSTNAME, () => {
    process.stdout.write(`[dbadmin] web server listening on ${config.HOSTNAME}:${config.PORT}${config.TRUST_PROXY ? ` behind ${config.TRUST_PROXY} trusted proxy hop(s)` : ''}\n`)
  })
}

main().catch((e: unknown) => {
  process.stderr.write(`[dbadmin] the web server could not start: ${(e as Error)?.stack ?? e}\n`)
  process.exitCode = 1
})
