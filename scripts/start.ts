/**
 * `npm start`: the embedded PostgreSQL (unless DATABASE_URL and STATE_DATABASE_URL are set), the
 * demo and state databases, a first admin, a production build when the sources changed, then
 * the web server (scripts/web-server.ts: Next behind forwarded-header handling). Ctrl-C or SIGTERM stops the web server and then PostgreSQL.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import exitHook from 'async-exit-hook'
import { ConfigError, loadConfig } from '../lib/config'
import { prepareRuntime, type Runtime } from '../lib/runtime/prepare-runtime'
import { buildIsStale } from './build-freshness'

const root = path.resolve(import.meta.dirname, '..')
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next')
const dev = process.argv.includes('--dev')

let runtime: Runtime | undefined
let web: ChildProcess | undefined
let stopping: Promise<void> | undefined

function say(line: string) {
  process.stdout.write(`[dbadmin] ${line}\n`)
}

/** Web server first (it holds pool connections), then PostgreSQL. Runs once. */
function stopAll(): Promise<void> {
  stopping ??= new Promise<void>((resolve) => {
    if (!web || web.exitCode !== null || web.signalCode !== null) return resolve()
    web.once('exit', () => resolve())
    web.kill('SIGTERM')
  }).then(() => runtime?.cluster?.stop())
  return stopping
}

exitHook((done: () => void) => {
  stopAll().then(done, done)
})

async function main() {
  const config = loadConfig(process.env, { purpose: 'server' })
  runtime = await prepareRuntime(config, { whenRunning: 'adopt', log: say })

  if (runtime.firstAdmin.created) {
    const fa = runtime.firstAdmin
    say(
      fa.generatedPassword
        ? `First admin created. Sign in as ${fa.email} with the password ${fa.generatedPassword} (shown only this once).`
        : `First admin ${fa.email} created from ADMIN_EMAIL/ADMIN_PASSWORD.`,
    )
  }

  const env = {
    ...process.env,
    DBADMIN_TARGET_URL: runtime.targetUrl,
    DBADMIN_STATE_URL: runtime.stateUrl,
    DBADMIN_DEMO: runtime.demo ? '1' : '0',
    AUTH_SECRET: runtime.authSecret!,
    NEXTAUTH_URL: config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`,
    NEXT_TELEMETRY_DISABLED: '1',
    NODE_ENV: (dev ? 'development' : 'production') as 'development' | 'production',
  }

  if (!dev && buildIsStale(root)) {
    say('Building the dashboard (first start or changed sources)…')
    const build = spawnSync(process.execPath, [nextBin, 'build'], { cwd: root, env, stdio: 'inherit' })
    if (build.status !== 0) throw new Error('next build failed; see the output above')
  }

  const args = ['--import', 'tsx', path.join(root, 'scripts', 'web-server.ts'), ...(dev ? ['--dev'] : [])]
  web = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' })
  say(`Dashboard on http://localhost:${config.PORT}, managing ${runtime.demo ? 'the DoR demo database' : 'DATABASE_URL'}`)
  web.on('exit', (code) => {
    if (stopping) return
    say(`The web server exited (code ${code}); stopping.`)
    stopAll().then(() => process.exit(code || 1))
  })
}

main().catch(async (e: unknown) => {
  const message = e instanceof ConfigError ? e.message : `Start-up failed: ${(e as Error)?.message ?? e}`
  process.stderr.write(`[dbadmin] ${message}\n`)
  await stopAll().catch(() => {})
  process.exit(1)
})
