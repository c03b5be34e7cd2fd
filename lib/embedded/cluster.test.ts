import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { type RawBuilder, sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createDb } from '../db/connect'
import { type EmbeddedCluster, startCluster } from './cluster'
import { findLivePostmaster, isAlive, stopPostmaster } from './postmaster'

// Every cluster of this file lives under one directory of our own, removed afterwards.
const ROOT = path.resolve(import.meta.dirname, '../../.data/test-lifecycle', randomBytes(4).toString('hex'))
const PASSWORD = 'lifecycle-test-password'
const pgdataOf = (name: string) => path.join(ROOT, name, 'postgres')

const children: ChildProcess[] = []

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  // Whatever a failed test left running on our data directories (and only those).
  if (fs.existsSync(ROOT)) {
    for (const name of fs.readdirSync(ROOT)) {
      const live = findLivePostmaster(path.join(ROOT, name, 'postgres'))
      if (live) await stopPostmaster(live.pid)
    }
  }
  fs.rmSync(ROOT, { recursive: true, force: true })
  // The shared parent too, unless another run still has its directory there (then rmdir fails).
  try {
    fs.rmdirSync(path.dirname(ROOT))
  } catch {
    // Not empty or already gone.
  }
}, 120_000)

/** pid and port from PGDATA/postmaster.pid; the pid file's own layout, not our reader of it. */
function pidFile(pgdata: string): { pid: number; port: number; socketDir: string; listen: string } {
  const lines = fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')
  return { pid: Number(lines[0]), port: Number(lines[3]), socketDir: lines[4], listen: lines[5] }
}

async function query<T>(cluster: EmbeddedCluster, text: RawBuilder<T>, database = 'postgres'): Promise<T[]> {
  const db = createDb(cluster.url(database), { max: 1 })
  try {
    return (await text.execute(db)).rows
  } finally {
    await db.destroy()
  }
}

/** Local addresses (hex ip:port, as in /proc/net/tcp*) of the sockets listening on a port. */
function listeningSockets(port: number): string[] {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0')
  const found: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 4) continue
      const [local, , state] = cols.slice(1, 4)
      if (state === '0A' && local.endsWith(':' + portHex)) found.push(local)
    }
  }
  return found
}

/** Waits until the process is gone (a postmaster stops in well under a second normally). */
async function gone(pid: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}

describe('startCluster on one data directory', () => {
  const pgdata = pgdataOf('main')
  let owner: EmbeddedCluster
  let firstPort: number

  it('initialises on the first start and runs as postgres, with pg_stat_statements, on 127.0.0.1 only', async () => {
    expect(fs.existsSync(path.join(pgdata, 'PG_VERSION'))).toBe(false)
    owner = await startCluster({ pgdata, password: PASSWORD, whenRunning: 'adopt', onLog: () => {} })
    firstPort = owner.port

    expect(owner.startedHere).toBe(true)
    expect(owner.user).toBe('postgres')
    expect(fs.readFileSync(path.join(pgdata, 'PG_VERSION'), 'utf8').trim()).toBe('15')
    expect(owner.url('my db')).toBe(`postgres://postgres:${PASSWORD}@127.0.0.1:${owner.port}/my%20db`)

    const [settings] = await query(
      owner,
      sql<{ preload: string; listen: string; sockets: string; version: string }>`
        select current_setting('shared_preload_libraries') as preload,
               current_setting('listen_addresses') as listen,
               current_setting('unix_socket_directories') as sockets,
               current_setting('server_version_num') as version`,
    )
    expect(settings).toEqual({ preload: 'pg_stat_statements', listen: '127.0.0.1', sockets: '', version: expect.stringMatching(/^15\d{4}$/) })

    const pf = pidFile(pgdata)
    expect(pf.port).toBe(owner.port)
    expect(pf.socketDir).toBe('')
    expect(pf.listen).toBe('127.0.0.1')
    expect(execFileSync('ps', ['-o', 'user=', '-p', String(pf.pid)], { encoding: 'utf8' }).trim()).toBe('postgres')
    // One listening socket, on 127.0.0.1 (0100007F in /proc/net/tcp), none on 0.0.0.0 or IPv6.
    expect(listeningSockets(owner.port)).toEqual([`0100007F:${owner.port.toString(16).toUpperCase().padStart(4, '0')}`])

    await query(owner, sql`create table kept (id int primary key, note text)`)
    await query(owner, sql`insert into kept values (1, 'survives a restart')`)
  })

  it("a second start with whenRunning 'share' reuses the running server and its stop() leaves it running", async () => {
    const { pid } = pidFile(pgdata)
    const shared = await startCluster({ pgdata, password: PASSWORD, whenRunning: 'share', onLog: () => {} })
    expect(shared.startedHere).toBe(false)
    expect(shared.port).toBe(owner.port)

    await shared.stop()
    expect(isAlive(pid)).toBe(true)
    expect(pidFile(pgdata).pid).toBe(pid)
    expect(await query(owner, sql<{ n: number }>`select count(*)::int as n from kept`)).toEqual([{ n: 1 }])
  })

  it('stop() of the owner stops the server and removes postmaster.pid', async () => {
    const { pid } = pidFile(pgdata)
    await owner.stop()
    expect(await gone(pid, 1_000)).toBe(true)
    expect(fs.existsSync(path.join(pgdata, 'postmaster.pid'))).toBe(false)
    expect(findLivePostmaster(pgdata)).toBeNull()
  })

  it('a restart reuses the data on a new port', async () => {
    const again = await startCluster({ pgdata, password: PASSWORD, whenRunning: 'adopt', onLog: () => {} })
    try {
      expect(again.startedHere).toBe(true)
      expect(again.port).not.toBe(firstPort)
      expect(pidFile(pgdata).port).toBe(again.port)
      expect(await query(again, sql<{ id: number; note: string }>`select id, note from kept`)).toEqual([
        { id: 1, note: 'survives a restart' },
      ])
    } finally {
      const { pid } = pidFile(pgdata)
      await again.stop()
      expect(await gone(pid, 1_000)).toBe(true)
    }
  })
})

/** Starts a node process that starts the cluster, prints its port and then waits forever. */
async function startInChild(pgdata: string): Promise<{ child: ChildProcess; port: number }> {
  const script = path.join(ROOT, 'hold-cluster.mts')
  const clusterModule = pathToFileURL(path.resolve(import.meta.dirname, 'cluster.ts')).href
  fs.writeFileSync(
    script,
    [
      `import { startCluster } from ${JSON.stringify(clusterModule)}`,
      `const cluster = await startCluster({ pgdata: ${JSON.stringify(pgdata)}, password: ${JSON.stringify(PASSWORD)}, whenRunning: 'adopt', onLog: () => {} })`,
      `process.stdout.write('PORT ' + cluster.port + '\\n')`,
      `setInterval(() => {}, 1 << 30)`,
      '',
    ].join('\n'),
  )
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child printed no port within 45 s; stderr: ${stderr}`)), 45_000)
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString()
      const m = /^PORT (\d+)$/m.exec(stdout)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the child exited (${code ?? signal}) before printing a port; stderr: ${stderr}`))
    })
  })
  return { child, port }
}

describe('startCluster after its starter was SIGKILLed', () => {
  it("'adopt' takes over the orphaned postmaster and its stop() ends it", async () => {
    const pgdata = pgdataOf('orphan')
    const { child, port } = await startInChild(pgdata)
    const { pid, port: portInPidFile } = pidFile(pgdata)
    expect(portInPidFile).toBe(port)

    const exited = new Promise((r) => child.once('exit', r))
    process.kill(child.pid!, 'SIGKILL')
    await exited
    expect(isAlive(child.pid!)).toBe(false)
    // Nothing stops the server when its starter dies without a chance to clean up.
    await new Promise((r) => setTimeout(r, 500))
    expect(isAlive(pid)).toBe(true)
    expect(findLivePostmaster(pgdata)).toEqual({ pid, port })

    const adopted = await startCluster({ pgdata, password: PASSWORD, whenRunning: 'adopt', onLog: () => {} })
    expect(adopted.startedHere).toBe(false)
    expect(adopted.port).toBe(port)
    await query(adopted, sql`create table after_crash (id int)`)
    await query(adopted, sql`insert into after_crash values (42)`)
    expect(await query(adopted, sql<{ id: number }>`select id from after_crash`)).toEqual([{ id: 42 }])

    await adopted.stop()
    expect(await gone(pid, 1_000)).toBe(true)
    expect(fs.existsSync(path.join(pgdata, 'postmaster.pid'))).toBe(false)
  })
})

describe('startCluster on a data directory the server refuses', () => {
  it("rejects, without hanging, with the server's own reason", async () => {
    const pgdata = pgdataOf('broken')
    const good = await startCluster({ pgdata, password: PASSWORD, whenRunning: 'adopt', onLog: () => {} })
    await good.stop()
    fs.appendFileSync(path.join(pgdata, 'postgresql.conf'), '\nshared_buffers = banana\n')

    const logged: string[] = []
    const started = Date.now()
    const outcome = await Promise.race([
      startCluster({ pgdata, password: PASSWORD, whenRunning: 'adopt', onLog: (l) => logged.push(l) }).then(
        async (c) => {
          await c.stop()
          return new Error('startCluster resolved on an invalid postgresql.conf')
        },
        (e: unknown) => e,
      ),
      new Promise((r) => setTimeout(() => r('hung'), 30_000)),
    ])
    expect(outcome).not.toBe('hung')
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(outcome).toBeInstanceOf(Error)
    const message = (outcome as Error).message
    expect(message).toMatch(/^The embedded PostgreSQL did not start \(data: .*broken\/postgres, port \d+\): /)
    // The cause and the verdict, whichever way the server's writes were split into pipe chunks.
    expect(message).toContain('LOG:  invalid value for parameter "shared_buffers": "banana"')
    expect(message).toContain(`FATAL:  configuration file "${pgdata}/postgresql.conf" contains errors`)
    expect(message).not.toMatch(/[\r\n]/)
    expect(message).not.toContain('undefined')
    expect(logged.join('')).toContain('shared_buffers')
    expect(findLivePostmaster(pgdata)).toBeNull()
  })
})
