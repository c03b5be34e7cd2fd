import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDb } from '../db/connect'
import { readHbaRules } from './hba'
import { securityReport } from './report'

/**
 * A trust rule for the network in the test cluster's own pg_hba.conf, for a role name no one uses
 * and addresses no test connects from: found with its file and line, and gone once the line is
 * changed as the finding says and the configuration reloaded.
 */
describe('pg_hba.conf: a trust rule for the network', () => {
  const role = `hba_trust_${randomBytes(3).toString('hex')}`
  let admin: Kysely<any>
  let file: string
  let original: string

  beforeAll(async () => {
    admin = createDb(inject('pgAdminUrl'), { max: 1 })
    file = (await sql<{ f: string }>`select current_setting('hba_file') as f`.execute(admin)).rows[0].f
    original = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, `${original.replace(/\n?$/, '\n')}host all ${role} 10.0.0.0/8 trust\n`)
  })

  afterAll(async () => {
    fs.writeFileSync(file, original)
    await admin.executeQuery(CompiledQuery.raw('select pg_reload_conf()'))
    await admin.destroy()
  })

  it('is found with its file and line, and changing the line as advised removes the finding', async () => {
    const hba = await readHbaRules(admin)
    if (!hba.readable) throw new Error('pg_hba_file_rules should be readable by the superuser')
    const rule = hba.rules.find((r) => r.users.includes(role))!
    expect(rule).toMatchObject({ file, type: 'host', address: '10.0.0.0', netmask: '255.0.0.0', method: 'trust', error: null })
    const subject = `${file}, line ${rule.line}: host all ${role} 10.0.0.0 255.0.0.0`
    const before = await securityReport(admin)
    const finding = before.findings.find((f) => f.check === 'trust_remote' && f.subject === subject)!
    expect(finding).toMatchObject({ severity: 'critical', fixStatements: ['SELECT pg_reload_conf();'] })
    expect(finding.fixNote).toBe(
      `In ${file}, line ${rule.line}, replace "trust" by "scram-sha-256" (after giving each role that connects this way a password), then reload the configuration with the SQL.`,
    )

    const lines = fs.readFileSync(file, 'utf8').split('\n')
    lines[rule.line - 1] = lines[rule.line - 1].replace(/\btrust\b/, 'scram-sha-256')
    fs.writeFileSync(file, lines.join('\n'))
    for (const statement of finding.fixStatements) await admin.executeQuery(CompiledQuery.raw(statement))

    const after = await securityReport(admin)
    expect(after.findings.filter((f) => f.check === 'trust_remote' && f.subject.includes(role))).toEqual([])
  })
})
