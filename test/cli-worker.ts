import { type ChildProcess, spawn } from 'node:child_process'
import { ROOT } from './run-command'

/**
 * `dbadmin jobs worker` in a process of its own, as on another machine, on these databases (the
 * integrity and metrics schedules off); resolves once it runs. The caller kills what it started:
 * each child is pushed to `children`.
 */
export async function startCliWorker(o: { targetUrl: string; stateUrl: string; dataPath?: string; children: ChildProcess[] }): Promise<ChildProcess> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: o.targetUrl,
    STATE_DATABASE_URL: o.stateUrl,
    INTEGRITY_SCHEDULE_CRON: 'off',
    METRICS_SCHEDULE_CRON: 'off',
    ...(o.dataPath ? { DATA_DIR: o.dataPath } : {}),
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dbadmin.ts', 'jobs', 'worker'], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  o.children.push(child)
  let err = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not start: ${err}`)), 30_000)
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString()
      if (err.includes('job worker for')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.on('exit', (code) => reject(new Error(`the worker exited (${code}): ${err}`)))
  })
  return child
}

/** kill -9, as a crash or the OOM killer would: no chance to say goodbye. Resolves once it exited. */
export async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** The first truthy result of `attempt`, tried every `everyMs` until `ms` passed. */
export async function until<T>(ms: number, attempt: () => Promise<T | null | undefined | false>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const got = await attempt()
    if (got) return got
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
