import fs from 'node:fs'
import path from 'node:path'

export interface LivePostmaster {
  pid: number
  port: number
}

/** Reads DATA/postmaster.pid and returns the postmaster when that process is alive. */
export function findLivePostmaster(pgdata: string): LivePostmaster | null {
  let text: string
  try {
    text = fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8')
  } catch {
    return null
  }
  const lines = text.split('\n')
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return null
  if (!isAlive(pid)) return null
  // A recycled pid that now belongs to something else must not be taken for our server.
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (!cmd.includes('postgres')) return null
  } catch {
    // No /proc (not Linux): trust the pid file.
  }
  return { pid, port }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Fast shutdown (SIGINT) of a postmaster we do not hold a handle to, waiting until it is gone. */
export async function stopPostmaster(pid: number, timeoutMs = 30_000): Promise<void> {
  try {
    process.kill(pid, 'SIGINT')
  } catch {
    return
  }
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT')
      break
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
