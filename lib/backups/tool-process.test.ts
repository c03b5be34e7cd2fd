import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PG_BIN_DIR } from '../../test/backup-fixture'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import { describeExit, maskSecret, passfileLine, runTool, startTool } from './tool-process'

let db: FreshDatabase
beforeAll(async () => {
  db = await freshDatabase('tool')
})
afterAll(async () => db?.drop())

const pgDump = path.join(PG_BIN_DIR, 'pg_dump')

describe('the password of a client tool', () => {
  it('reaches pg_dump when the URL gives user and password as parameters (?user=…&password=…), and never its argv or environment', async () => {
    const u = new URL(db.url)
    const password = decodeURIComponent(u.password)
    expect(password).not.toBe('')
    const byParams = new URL(db.url)
    byParams.username = ''
    byParams.password = ''
    byParams.searchParams.set('user', decodeURIComponent(u.username))
    byParams.searchParams.set('password', password)
    const t = startTool(pgDump, ['--schema-only', '--no-password', '--file=/dev/null'], { url: byParams.toString() })
    const environ = fs.readFileSync(`/proc/${t.child.pid}/environ`, 'utf8')
    expect(environ).not.toContain(password)
    expect(fs.readFileSync(`/proc/${t.child.pid}/cmdline`, 'utf8')).not.toContain(password)
    const exit = await t.exit
    expect(describeExit('pg_dump', exit)).toBe('pg_dump exited with code 0.')
  })

  it('is masked in what a tool printed, and escaped in the passfile', async () => {
    expect(maskSecret('could not connect: postgres://u:s3cr:et@h/db and s3cr:et', 's3cr:et')).not.toContain('s3cr:et')
    expect(passfileLine('a:b', 'p\\w:d')).toBe('*:*:*:a\\:b:p\\\\w\\:d\n')
    // A wrong password: the tool fails, and its message carries no password.
    const wrong = new URL(db.url)
    wrong.password = 'not-the-password-xyz'
    const exit = await runTool(pgDump, ['--schema-only', '--no-password', '--file=/dev/null'], { url: wrong.toString() })
    expect(exit.code).not.toBe(0)
    expect(exit.stderr).toMatch(/password authentication failed/)
    expect(exit.stderr).not.toContain('not-the-password-xyz')
  })
})
