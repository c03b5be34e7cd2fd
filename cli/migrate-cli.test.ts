import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeManifest, renderManifest } from '../lib/migrations/manifest-file'
import { dorMigrations } from '../migrations/index'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, ROOT, runDbadmin } from '../test/run-command'

// These tests change migration files, so they run the CLI in a copy of the project: the
// repository's own migrations/ stay untouched for every other test.

let target: FreshDatabase
let state: FreshDatabase
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'dbadmin-copy-'))
const names = Object.keys(dorMigrations).sort()
const newest = names.at(-1)!
const first = names[0]
const migrationFile = (name: string) => path.join(copy, 'migrations', `${name}.ts`)
// Five or six CLI runs each, the first ones compiling the copy: slow on a loaded machine.
const SLOW = { timeout: 300_000 }

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('cli_mig_target'), freshDatabase('cli_mig_state')])
  for (const part of ['cli', 'lib', 'migrations', 'db', 'package.json', 'tsconfig.json']) {
    fs.cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true })
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'))
})
afterAll(async () => {
  await target?.drop()
  await state?.drop()
  fs.rmSync(copy, { recursive: true, force: true })
})

const dbadmin = (args: string[]) => runDbadmin(args, { DATABASE_URL: target.url, STATE_DATABASE_URL: state.url }, copy)

async function appliedNames(): Promise<string[]> {
  const rows = await target.db.selectFrom('kysely_migration').select('name').orderBy('name').execute()
  return rows.map((r) => r.name)
}

async function statusFlags(): Promise<Record<string, string[]>> {
  const r = await dbadmin(['migrate', 'status', '--json'])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return Object.fromEntries(JSON.parse(r.stdout).migrations.map((m: { name: string; flags: string[] }) => [m.name, m.flags]))
}

describe('a migration file deleted while still listed in migrations/index.ts', () => {
  it('is a status flag and one clear error on migrate up; every other command still works', SLOW, async () => {
    const up = await dbadmin(['migrate', 'up', '--to', names.at(-2)!])
    expect(up.code).toBe(0)
    expect(await appliedNames()).toEqual(names.slice(0, -1))

    fs.rmSync(migrationFile(newest))
    const health = await dbadmin(['health', '--json'])
    expect(health.stderr).toBe('')
    expect(health.code).toBe(0)
    expect(JSON.parse(health.stdout).database).toBe(new URL(target.url).pathname.slice(1))

    const flags = await statusFlags()
    expect(flags[newest]).toEqual(['file_missing'])
    expect(flags[first]).toEqual([])

    const refused = await dbadmin(['migrate', 'up'])
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toBe(
      `dbadmin: Apply is blocked: migrations/${newest}.ts is listed in migrations/index.ts but the file is missing. Restore it, or remove it from the index.\n`,
    )
    expect(refused.code).toBe(1)
    expect(await appliedNames()).toEqual(names.slice(0, -1))

    fs.copyFileSync(path.join(ROOT, 'migrations', `${newest}.ts`), migrationFile(newest))
    expect(await statusFlags()).toMatchObject({ [newest]: [] })
  })
})

describe('dbadmin migrate acknowledge', () => {
  it('accepts the edit of an applied migration as the CLI, audited, which lifts the block on apply', SLOW, async () => {
    // An applied migration edited afterwards (a comment), with its manifest regenerated.
    fs.appendFileSync(migrationFile(first), '\n// A comment added after it was applied.\n')
    fs.writeFileSync(path.join(copy, 'migrations', 'manifest.ts'), renderManifest(computeManifest(path.join(copy, 'migrations'))))
    expect((await statusFlags())[first]).toEqual(['edited_after_apply'])
    const blocked = await dbadmin(['migrate', 'up'])
    expect(blocked.code).toBe(1)
    expect(blocked.stderr).toMatch(new RegExp(`^dbadmin: Apply is blocked: ${first} changed after it was applied`))

    const wrong = await dbadmin(['migrate', 'acknowledge', '--name', names[1]])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toBe(`dbadmin: ${names[1]} is not an applied migration with an unacknowledged edit.\n`)
    const missingName = await dbadmin(['migrate', 'acknowledge'])
    expect(missingName.code).toBe(2)
    expect(missingName.stderr).toBe('dbadmin: --name is required (--name NAME)\n')

    const ack = await dbadmin(['migrate', 'acknowledge', '--name', first, '--note', 'comment only', '--json'])
    expect(ack.stderr).toBe('')
    expect(ack.code).toBe(0)
    const checksum = computeManifest(path.join(copy, 'migrations'))[first]
    expect(JSON.parse(ack.stdout)).toEqual({ acknowledged: { name: first, checksum } })
    const row = await state.db.selectFrom('migration_ack').selectAll().executeTakeFirstOrThrow()
    expect(row).toMatchObject({ name: first, checksum, acknowledged_by: 'cli', acknowledged_by_id: null, note: 'comment only' })
    const audit = await state.db.selectFrom('audit_log').selectAll().where('action', '=', 'migrations.acknowledge_edit').orderBy('id').execute()
    expect(audit).toMatchObject([
      { actor_email: 'cli', target: names[1], result: 'failed', code: 'conflict' },
      { actor_email: 'cli', target: first, input: { name: first, note: 'comment only' }, result: 'ok', code: 'ok', message: expect.stringContaining('It no longer blocks apply.') },
    ])

    const applied = await dbadmin(['migrate', 'up'])
    expect(applied.code).toBe(0)
    expect(lines(applied.stdout)).toEqual([`Applied ${newest}.`])
    expect(await appliedNames()).toEqual(names)
  })
})
