import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FreshDatabase, freshDatabase } from '../test/fresh-db'
import { lines, runDbadmin } from '../test/run-command'

let target: FreshDatabase
let state: FreshDatabase

beforeAll(async () => {
  ;[target, state] = await Promise.all([freshDatabase('cli_metrics_t'), freshDatabase('cli_metrics_s')])
})
afterAll(async () => {
  await Promise.all([target?.drop(), state?.drop()])
})

const env = () => ({ DATABASE_URL: target.url, STATE_DATABASE_URL: state.url })

describe('dbadmin metrics', () => {
  it('records one sample now and prints it; the next one has rates', async () => {
    const first = await runDbadmin(['metrics', 'sample', '--json'], env())
    expect(first.stderr).toMatch(/^(State database migrated: .*\n)?$/)
    expect(first.code).toBe(0)
    const a = JSON.parse(first.stdout).sample
    expect(a).toMatchObject({ database: new URL(target.url).pathname.slice(1), counterReset: 'first', metrics: { tps: null } })
    expect(a.metrics.dbSizeBytes).toBeGreaterThan(0)
    expect(a.tableSizesTaken).toBeGreaterThanOrEqual(0)

    const second = await runDbadmin(['metrics', 'sample', '--json'], env())
    expect(second.code).toBe(0)
    const b = JSON.parse(second.stdout).sample
    expect(b.counterReset).toBeNull()
    expect(b.metrics.tps).toBeGreaterThan(0)
    expect(b.metrics.dashboardFailedQueries).toBe(0)
    expect(b.id).toBeGreaterThan(a.id)
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from metric_sample`.execute(state.db)
    expect(rows[0].n).toBe(2)
  })

  it('prints a table without --json', async () => {
    const r = await runDbadmin(['metrics', 'sample'], env())
    expect(r.code).toBe(0)
    expect(lines(r.stdout).some((l) => /^ {2}dbSizeBytes +\d+ {2}bytes$/.test(l))).toBe(true)
  })

  it('history --since prints the recorded samples of the range, oldest first', async () => {
    const r = await runDbadmin(['metrics', 'history', '--since', '1h', '--json'], env())
    expect(r.code).toBe(0)
    const h = JSON.parse(r.stdout)
    expect(h).toMatchObject({ since: '1h', resolution: 'raw', database: new URL(target.url).pathname.slice(1) })
    expect(h.points.length).toBeGreaterThanOrEqual(3)
    expect(h.points[0].tps).toBeNull()
    expect(h.points.at(-1).tps).toBeGreaterThan(0)
    expect(h.points.at(-1).dbSizeBytes).toBeGreaterThan(0)
    expect(h.points.at(-1).dashboardFailedQueries).toBe(0)
    expect(Date.parse(h.points[0].at)).toBeLessThan(Date.parse(h.points.at(-1).at))
    const year = JSON.parse((await runDbadmin(['metrics', 'history', '--since', '1y', '--json'], env())).stdout)
    expect(year).toMatchObject({ resolution: '1h', stepSeconds: 3600 })
    const text = await runDbadmin(['metrics', 'history', '--since', '6h'], env())
    expect(lines(text.stdout)[0]).toMatch(/^cli_metrics_t\w*: \d+ points from .* \(samples\)$/)
  })

  it('a bare metrics is metrics history, with its flags in any order (the form issue 15 names)', async () => {
    const history = JSON.parse((await runDbadmin(['metrics', 'history', '--since', '1h', '--json'], env())).stdout)
    const r = await runDbadmin(['metrics', '--json', '--since', '1h'], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const bare = JSON.parse(r.stdout)
    // No sample was taken in between: the same points, only the window's ends moved on.
    expect({ ...bare, from: null, to: null }).toEqual({ ...history, from: null, to: null })
    expect(bare.points.length).toBeGreaterThanOrEqual(3)
    const text = await runDbadmin(['metrics', '--since=6h'], env())
    expect(text.code).toBe(0)
    expect(lines(text.stdout)[0]).toMatch(/^cli_metrics_t\w*: \d+ points from .* \(samples\)$/)
  })

  it.each([
    [['metrics', 'sample', '--since', '1h'], 'unknown option --since for "dbadmin metrics sample"; it takes [--json]'],
    [['metrics', 'history'], '--since is required (--since 1h|6h|24h|7d|30d|1y)'],
    [['metrics', 'history', '--since', '2w'], '--since must be one of 1h|6h|24h|7d|30d|1y, not "2w"'],
    [['alerts', 'fire'], 'unknown alerts command "fire" (list)'],
    [['metrics', '--json', '--since', '1h', '--limit', '5'], 'unknown option --limit for "dbadmin metrics"; it takes --since 1h|6h|24h|7d|30d|1y [--json]'],
    [['metrics', '--json'], '--since is required (--since 1h|6h|24h|7d|30d|1y)'],
    [['metrics', '--since', '2w'], '--since must be one of 1h|6h|24h|7d|30d|1y, not "2w"'],
    [['metrics', '--since', '1h', '--json', '--json'], '--json is given twice'],
    [['alerts', '--json', '--fail-on-firing'], 'unknown option --fail-on-firing for "dbadmin alerts"; it takes [--json]'],
    [['alerts', '--json=yes'], '--json takes no value'],
  ])('%j is refused with exit 2', async (argv, message) => {
    const r = await runDbadmin(argv, env())
    expect(r.stderr).toBe(`dbadmin: ${message}\n`)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
  })
})

describe('--help', () => {
  it('shows the bare forms beside the subcommands', async () => {
    const alerts = await runDbadmin(['alerts', '--help'], env())
    expect(alerts.code).toBe(0)
    expect(lines(alerts.stdout).slice(0, 3)).toEqual(['usage:', '  dbadmin alerts [--json]', '      the same as alerts list'])
    expect(lines(alerts.stdout)).toContain('  dbadmin alerts list [--json]')
    const metrics = await runDbadmin(['metrics', '--help'], env())
    expect(metrics.code).toBe(0)
    expect(lines(metrics.stdout)).toContain('  dbadmin metrics --since 1h|6h|24h|7d|30d|1y [--json]')
    expect(lines(metrics.stdout)).toContain('  dbadmin metrics history --since 1h|6h|24h|7d|30d|1y [--json]')
    const all = await runDbadmin(['--help'], env())
    expect(lines(all.stdout).find((l) => l.startsWith('  alerts '))).toMatch(/^ {2}alerts \[list\] \[--json\] /)
    expect(lines(all.stdout).find((l) => l.startsWith('  metrics '))).toMatch(/^ {2}metrics \[history\] --since 1h\|6h\|24h\|7d\|30d\|1y \[--json\] \| metrics sample \[--json\] /)
  })
})

describe('dbadmin alerts [list]', () => {
  it('judges the rules now, records nothing, and exits 1 when one fires (no backup of this database yet)', async () => {
    const events = async () => (await sql<{ n: number }>`select (select count(*) from alert_event) + (select count(*) from alert_state) as n`.execute(state.db)).rows[0].n
    const r = await runDbadmin(['alerts', 'list', '--json'], env())
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('dbadmin: 1 alert is firing\n')
    const { alerts } = JSON.parse(r.stdout)
    expect(alerts.find((a: { rule: string }) => a.rule === 'backupMissing')).toEqual({
      rule: 'backupMissing',
      severity: 'warning',
      state: 'firing',
      message: 'No successful full backup of this database is in the backup catalogue.',
      value: null,
      threshold: 26,
    })
    expect(alerts.find((a: { rule: string }) => a.rule === 'longRunningQuery')).toMatchObject({ state: 'ok', value: 0, threshold: 30 })
    // Off without STORAGE_LIMIT_BYTES.
    expect(alerts.some((a: { rule: string }) => a.rule === 'storageLimit')).toBe(false)
    expect(Object.keys(alerts[0]).sort()).toEqual(['message', 'rule', 'severity', 'state', 'threshold', 'value'])
    expect(await events()).toBe(0)

    // The bare form (issue 15's `dbadmin alerts --json`) is the same judgement with the same exit.
    const bare = await runDbadmin(['alerts', '--json'], env())
    expect(bare.code).toBe(1)
    expect(bare.stderr).toBe('dbadmin: 1 alert is firing\n')
    const judged = (out: string) => JSON.parse(out).alerts.map((a: { rule: string; state: string; severity: string }) => [a.rule, a.state, a.severity])
    expect(judged(bare.stdout)).toEqual(judged(r.stdout))
    expect(await events()).toBe(0)

    // With a recent full backup in the catalogue nothing fires: exit 0.
    await sql`insert into backup (target_key, target_database, kind, format, origin, file, status, created_by, finished_at)
              select target_key, 'x', 'full', 'custom', 'manual', 'ok.dump', 'succeeded', 'test', now() from metric_sample limit 1`.execute(state.db)
    const ok = await runDbadmin(['alerts', 'list'], env())
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(lines(ok.stdout).find((l) => l.includes('No successful backup'))).toMatch(/^OK +warning +No successful backup for 26 hours: 0\.0 h \(below 26\.0 h\)\.$/)
    const bareOk = await runDbadmin(['alerts'], env())
    expect(bareOk.stderr).toBe('')
    expect(bareOk.code).toBe(0)
    expect(lines(bareOk.stdout).map((l) => l.split(/ +/)[0])).toEqual(lines(ok.stdout).map((l) => l.split(/ +/)[0]))
  })
})
