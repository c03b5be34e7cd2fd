import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fakeNpmRegistry } from '../../test/fake-npm-registry'
import { run } from '../../test/run-command'
import { decideAudit, describeDecision } from './npm-audit'

// Real outputs of `npm audit --omit=dev --audit-level=high --json` in this repository: from the
// registry these machines reach (405), from a closed port, and from a fake registry with advisories.
const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, 'fixtures', `npm-audit-${name}.json`), 'utf8')

describe('decideAudit on recorded npm audit output', () => {
  it('says plainly that there is no advisory data when the registry answers 405, and passes', () => {
    const d = decideAudit(fixture('405'))
    expect(d).toEqual({
      kind: 'no_data',
      exitCode: 0,
      reason: 'the registry answered the audit request with 405 (POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk)',
    })
    expect(describeDecision(d)[0]).toMatch(/^audit:deps: NO ADVISORY DATA: .*405.*Nothing was checked; this is not a clean result/)
  })

  it('says the same when the registry cannot be reached', () => {
    expect(decideAudit(fixture('refused'))).toMatchObject({ kind: 'no_data', exitCode: 0, reason: 'the registry could not be reached (ECONNREFUSED)' })
  })

  it('fails on a high advisory with a fix, naming the version to move to', () => {
    const d = decideAudit(fixture('high-fixable'))
    expect(d).toMatchObject({ kind: 'checked', exitCode: 1, unfixable: [], below: [] })
    if (d.kind !== 'checked') throw new Error('checked expected')
    expect(d.failing).toEqual([
      { package: 'csv-stringify', severity: 'high', via: ['Test advisory'], direct: true, fix: { name: 'csv-stringify', version: '6.9.1', major: false } },
    ])
    expect(describeDecision(d)).toEqual([
      expect.stringMatching(/^audit:deps: FAIL: 1 high or critical advisory has a fix \(\d+ production dependencies checked\)\.$/),
      'Fix these:',
      '  high     csv-stringify via Test advisory: fix: csv-stringify@6.9.1',
    ])
  })

  it('lists high and critical advisories without a fix but passes', () => {
    for (const name of ['high-no-fix', 'critical-transitive']) {
      const d = decideAudit(fixture(name))
      expect(d, name).toMatchObject({ kind: 'checked', exitCode: 0, failing: [] })
      if (d.kind !== 'checked') throw new Error('checked expected')
      expect(d.unfixable.length, name).toBeGreaterThan(0)
      expect(describeDecision(d)[1]).toBe('High or critical without a fix yet (not failing; watch them):')
    }
    const transitive = decideAudit(fixture('critical-transitive'))
    if (transitive.kind !== 'checked') throw new Error('checked expected')
    expect(transitive.unfixable.find((a) => a.package === 'pg-protocol')).toMatchObject({ direct: false, via: ['Critical in a dependency'] })
  })

  it('passes on moderate advisories and on a clean report', () => {
    const moderate = decideAudit(fixture('moderate'))
    expect(moderate).toMatchObject({ kind: 'checked', exitCode: 0, failing: [], unfixable: [] })
    expect(describeDecision(moderate).at(-1)).toBe('Below high (not failing): csv-stringify (moderate)')
    expect(decideAudit(fixture('clean'))).toMatchObject({ kind: 'checked', exitCode: 0, failing: [], unfixable: [], below: [] })
  })

  it('fails as an error on anything else: not JSON, a server error, another report version', () => {
    expect(decideAudit('npm ERR! oops')).toMatchObject({ kind: 'error', exitCode: 2 })
    expect(decideAudit(JSON.stringify({ message: '500 Internal Server Error - POST …', statusCode: 500 }))).toMatchObject({ kind: 'error', exitCode: 2 })
    expect(decideAudit(JSON.stringify({ auditReportVersion: 1, advisories: {} }))).toMatchObject({ kind: 'error', exitCode: 2 })
    expect(decideAudit(JSON.stringify({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } }))).toMatchObject({ kind: 'error', exitCode: 2 })
  })

  it('treats a fix through a semver-major upgrade as a fix', () => {
    const report = { auditReportVersion: 2, vulnerabilities: { x: { name: 'x', severity: 'critical', isDirect: true, via: ['y'], fixAvailable: { name: 'x', version: '2.0.0', isSemVerMajor: true } } }, metadata: {} }
    const d = decideAudit(JSON.stringify(report))
    expect(d).toMatchObject({ exitCode: 1 })
    expect(describeDecision(d)[2]).toBe('  critical x via y: fix: x@2.0.0 (semver-major: npm audit fix --force, then test)')
  })
})

describe('npm run audit:deps against a registry', () => {
  const audit = (registry: string) => run(process.execPath, ['--import', 'tsx', 'scripts/audit-deps.ts'], { npm_config_registry: registry }, 60_000)

  it('exits 0 with the no-data line when the audit endpoint answers 405', async () => {
    const registry = await fakeNpmRegistry({ auditStatus: 405 })
    try {
      const r = await audit(registry.url)
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^audit:deps: NO ADVISORY DATA: the registry answered the audit request with 405/)
    } finally {
      await registry.close()
    }
  })

  it('exits 1 on a high advisory for a production dependency that has a fixed version', async () => {
    const registry = await fakeNpmRegistry({
      advisories: [{ package: 'csv-stringify', severity: 'high', vulnerableVersions: '<6.9.1', title: 'Formula injection' }],
      versions: { 'csv-stringify': ['6.9.0', '6.9.1'] },
    })
    try {
      const r = await audit(registry.url)
      expect(r.code).toBe(1)
      expect(r.stdout).toContain('high     csv-stringify via Formula injection: fix: csv-stringify@6.9.1')
    } finally {
      await registry.close()
    }
  })

  it('exits 0 on the same advisory when no fixed version exists, and ignores dev dependencies', async () => {
    const registry = await fakeNpmRegistry({
      advisories: [
        { package: 'csv-stringify', severity: 'high', vulnerableVersions: '<7.0.0', title: 'Formula injection' },
        { package: 'vitest', severity: 'critical', vulnerableVersions: '*', title: 'Dev only' },
      ],
      versions: { 'csv-stringify': ['6.9.0'] },
    })
    try {
      const r = await audit(registry.url)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('csv-stringify via Formula injection: no fix available')
      expect(r.stdout).not.toContain('vitest')
    } finally {
      await registry.close()
    }
  })

  it('refuses arguments', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'scripts/audit-deps.ts', '--force'], {})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('audit:deps takes no arguments')
  })
})
