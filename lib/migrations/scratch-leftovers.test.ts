import { spawn } from 'node:child_process'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { ROOT, runDbadmin } from '../../test/run-command'
import { buildDemoDatabase } from '../demo/prepare-demo'
import { createScratchDatabase, dropDeadScratchDatabases, listScratchDatabases, scratchPrefix } from './scratch-database'

let target: FreshDatabase
let state: FreshDatabase

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('leftover'), freshDatabase('leftover_state')])
  await buildDemoDatabase(target.db)
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
})

async function scratchDatabases(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select datname as name from pg_database where starts_with(datname, ${scratchPrefix(target.url)}) order by 1`.execute(target.db)
  return rows.map((r) => r.name)
}

describe('scratch databases of checks whose process died', () => {
  it('are told from those of running checks by their owner lock, and only they are dropped', async () => {
    const live = await createScratchDatabase(target.url, 'rehearsal')
    // What a killed check leaves: the database, and no session holding its lock.
    const dead = `${scratchPrefix(target.url)}drift_0badc0de`
    await sql`create database ${sql.id(dead)}`.execute(target.db)
    try {
      expect((await listScratchDatabases(target.url)).map((s) => [s.name, s.purpose, s.inUse])).toEqual(
        [
          [dead, 'drift', false],
          [live.name, 'rehearsal', true],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      )
      expect(await dropDeadScratchDatabases(target.url)).toEqual({ dropped: [dead], failed: [] })
      expect(await scratchDatabases()).toEqual([live.name])
      // Its own check still works in it.
      expect((await sql<{ n: number }>`select 1 as n`.execute(live.db)).rows).toEqual([{ n: 1 }])
    } finally {
      await live.drop()
    }
    expect(await scratchDatabases()).toEqual([])

    // The next check drops leftovers before it makes its own.
    await sql`create database ${sql.id(dead)}`.execute(target.db)
    const next = await createScratchDatabase(target.url, 'replay')
    try {
      expect(await scratchDatabases()).toEqual([next.name])
    } finally {
      await next.drop()
    }
  })

  it('a rehearsal killed mid-way leaves one behind, dropped at the next start', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/dbadmin.ts', 'migrate', 'rehearse'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DATABASE_URL: target.url, STATE_DATABASE_URL: state.url } as unknown as NodeJS.ProcessEnv,
      stdio: 'ignore',
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    let left: string[] = []
    for (let i = 0; i < 600 && left.length === 0; i++) {
      left = await scratchDatabases()
      if (!left.length) await new Promise((r) => setTimeout(r, 50))
    }
    child.kill('SIGKILL')
    await exited
    expect(left).toHaveLength(1)
    expect(await scratchDatabases()).toEqual(left)
    // The server ends the killed process's backend, and with it the owning lock, only once it
    // notices the closed socket: on a fast machine the first look can come before that.
    let listed = await listScratchDatabases(target.url)
    for (let i = 0; i < 100 && listed[0]?.inUse; i++) {
      await new Promise((r) => setTimeout(r, 100))
      listed = await listScratchDatabases(target.url)
    }
    expect(listed).toMatchObject([{ name: left[0], purpose: 'rehearsal', inUse: false }])

    const r = await runDbadmin(['migrate', 'status', '--json'], { DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe(`Dropped 1 scratch database left by checks that died: ${left[0]}\n`)
    expect(await scratchDatabases()).toEqual([])
  })
})
