/**
 * Integrity checks at scale, against the raw tool, measured alternately in the same run:
 *   npx tsx bench/integrity.bench.ts [--scale 500] [--database-url URL] [--rounds 3]
 * (a) countOrphans for the DoR runbook's two relations vs (b) its two LEFT JOIN counts through psql:
 *     target ours / psql ≤ 1.2.
 * (c) a whole integrity run (planChecks + runChecks, soft relations from a fresh state database) vs
 *     (d) one raw anti-join count per relation that run reports, through psql: target ≤ 1.3.
 * Default database: dor_bench in the embedded cluster, seeded with seedDor when it is empty or holds
 * another scale. Always exits 0 unless it could not run: it measures, it does not test.
 */
import { performance } from 'node:perf_hooks'
import type { Kysely } from 'kysely'
import { createDb, describeUrl, withDatabase } from '../lib/db/connect'
import type { Finding } from '../lib/integrity/findings'
import { countOrphans } from '../lib/integrity/orphans'
import { planChecks, runChecks } from '../lib/integrity/run-checks'
import { dropDatabase, ensureDatabase } from '../lib/runtime/cluster-databases'
import { migrateStateDb } from '../lib/state/migrate-state'
import { openBenchDatabase } from './bench-database'
import { dorSeedCounts } from './seed-dor'
import { dorBenchOptions, ensureSeeded, psql, timed } from './dor-bench'
import { median, ms, runBenchmark } from './bench-kit'

const TARGET_RELATIONS = 1.2
const TARGET_RUN = 1.3
const DOR_RELATIONS = [
  { schema: 'public', table: 'agenda_item', columns: ['meeting_id'], refSchema: 'public', refTable: 'meeting', refColumns: ['id'] },
  { schema: 'public', table: 'fileupload', columns: ['agenda_item_id'], refSchema: 'public', refTable: 'agenda_item', refColumns: ['id'] },
]
/** The DoR runbook's two queries, as its admins type them. */
const RUNBOOK_SQL = [
  'SELECT COUNT(*) FROM agenda_item a LEFT JOIN meeting m ON a.meeting_id = m.id WHERE m.id IS NULL',
  'SELECT COUNT(*) FROM fileupload f LEFT JOIN agenda_item a ON f.agenda_item_id = a.id WHERE f.agenda_item_id IS NOT NULL AND a.id IS NULL',
]

type Rel = Pick<Finding, 'schema' | 'table' | 'columns' | 'refSchema' | 'refTable' | 'refColumns'>

// The raw tool's SQL text is built here only, for psql: identifiers quoted as quote_ident would.
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`

/** The runbook's LEFT JOIN anti-join for any relation; NULL references are not orphans. */
function rawOrphanCount(r: Rel): string {
  const on = r.columns.map((c, i) => `p.${ident(r.refColumns[i])} = c.${ident(c)}`).join(' AND ')
  const notNull = r.columns.map((c) => `c.${ident(c)} IS NOT NULL`).join(' AND ')
  return `SELECT COUNT(*) FROM ${ident(r.schema!)}.${ident(r.table!)} c LEFT JOIN ${ident(r.refSchema!)}.${ident(r.refTable!)} p ON ${on} WHERE ${notNull} AND p.${ident(r.refColumns[0])} IS NULL`
}

async function main(): Promise<void> {
  const { scale, rounds, databaseUrl } = dorBenchOptions('integrity.bench.ts')
  const bench = await openBenchDatabase('dor_bench', databaseUrl)
  const where = describeUrl(bench.url)
  console.log(`integrity benchmark on ${where.database} at ${where.host}:${where.port}, scale ${scale}, ${rounds} rounds`)
  // The CLI's pool for `dbadmin integrity`.
  const db = createDb(bench.url, { max: 2, applicationName: 'dor-bench-integrity' })
  const stateName = `${where.database}_state`
  let state: Kysely<any> | undefined
  try {
    await ensureSeeded(db, scale)
    // A fresh state database in the same cluster: its migration adds the DoR preset soft relations.
    await dropDatabase(bench.url, stateName)
    await ensureDatabase(bench.url, stateName)
    state = createDb(withDatabase(bench.url, stateName), { max: 2, applicationName: 'dor-bench-integrity-state' })
    await migrateStateDb(state)
    const st = state

    // (a) one statement after the other, like psql's two.
    const oursRelations = async () => {
      const counts: number[] = []
      for (const r of DOR_RELATIONS) counts.push(await countOrphans(db, r))
      return counts
    }
    // (c) every check the CLI makes; steps timed through the runner's hooks (no extra queries).
    const wholeRun = async () => {
      const started = performance.now()
      const steps = await planChecks(db, st)
      const planMs = performance.now() - started
      const stepMs: [string, number][] = []
      let stepStarted = 0
      const { findings } = await runChecks(steps, {
        beforeStep: () => void (stepStarted = performance.now()),
        afterStep: (_i, step) => void stepMs.push([step.title, performance.now() - stepStarted]),
      })
      return { findings, planMs, stepMs }
    }

    // Warm-up (untimed), and a check that both sides count the same.
    const counts = await oursRelations()
    const runbook = await psql(bench.url, RUNBOOK_SQL)
    const seeded = dorSeedCounts(scale)
    console.log(`orphans: ours ${counts.join(', ')} | psql ${runbook.lines.join(', ')} | seeded ${seeded.orphanAgendaItems}, ${seeded.orphanFileUploads}`)
    if (counts.join() !== runbook.lines.join()) throw new Error('ours and psql disagree on the orphan counts')
    const { findings } = await wholeRun()
    const errors = findings.filter((f) => f.error)
    if (errors.length) throw new Error(`checks failed: ${errors.map((f) => `${f.title}: ${f.error}`).join('; ')}`)
    const relations = findings.filter((f) => f.check === 'orphans')
    const rawRun = relations.map(rawOrphanCount)
    const rawCounts = (await psql(bench.url, rawRun)).lines
    console.log(`whole run: ${findings.length} findings, ${relations.length} relations`)
    relations.forEach((f, i) => console.log(`  ${f.title} [${f.source}]: ours ${f.count}, psql ${rawCounts[i]}`))
    if (relations.some((f, i) => String(f.count) !== rawCounts[i])) throw new Error('ours and psql disagree on a relation')

    const t = { ours: [] as number[], runbook: [] as number[], run: [] as number[], raw: [] as number[], plan: [] as number[] }
    const stepTimes = new Map<string, number[]>()
    const rawTimes = new Map<string, number[]>()
    const add = (m: Map<string, number[]>, k: string, x: number) => m.set(k, [...(m.get(k) ?? []), x])
    for (let r = 0; r < rounds; r++) {
      const a = async () => t.ours.push((await timed(oursRelations)).ms)
      const b = async () => t.runbook.push((await psql(bench.url, RUNBOOK_SQL)).ms)
      const c = async () => {
        const { ms: took, value } = await timed(wholeRun)
        t.run.push(took)
        t.plan.push(value.planMs)
        for (const [title, x] of value.stepMs) add(stepTimes, title, x)
      }
      const d = async () => {
        const raw = await psql(bench.url, rawRun)
        t.raw.push(raw.ms)
        relations.forEach((f, i) => add(rawTimes, f.title, raw.times[i]))
      }
      // Alternate which side goes first, so that neither always finds a warmer cache.
      for (const step of r % 2 === 0 ? [a, b, c, d] : [b, a, d, c]) await step()
      console.log(
        `round ${r + 1}: (a) ${ms(t.ours[r])} | (b) ${ms(t.runbook[r])} | (c) ${ms(t.run[r])} | (d) ${ms(t.raw[r])}`,
      )
    }
    const startup: number[] = []
    for (let r = 0; r < rounds; r++) startup.push((await psql(bench.url, ['select 1'])).ms)

    const m = { ours: median(t.ours), runbook: median(t.runbook), run: median(t.run), raw: median(t.raw) }
    const ratioRelations = m.ours / m.runbook
    const ratioRun = m.run / m.raw
    console.log('\nmedians:')
    console.log(`  (a) countOrphans, the two DoR relations       ${ms(m.ours).padStart(9)}`)
    console.log(`  (b) the runbook's two LEFT JOINs via psql     ${ms(m.runbook).padStart(9)}`)
    console.log(`  (c) whole integrity run, ${String(findings.length).padStart(3)} findings        ${ms(m.run).padStart(9)}`)
    console.log(`  (d) ${relations.length} raw anti-join counts via psql         ${ms(m.raw).padStart(9)}`)
    console.log(`  psql start and connect (select 1)            ${ms(median(startup)).padStart(9)}`)
    console.log('the whole run step by step (median; for relations also psql\'s own \\timing of the same count):')
    console.log(`  ${ms(median(t.plan)).padStart(9)}  planning (catalog: relations, suggestions, columns)`)
    let relationsMs = 0
    let otherMs = 0
    for (const [title, xs] of stepTimes) {
      const raw = rawTimes.get(title)
      if (raw) relationsMs += median(xs)
      else otherMs += median(xs)
      console.log(`  ${ms(median(xs)).padStart(9)}  ${title}${raw ? `  (psql ${ms(median(raw))})` : ''}`)
    }
    const rawSum = [...rawTimes.values()].reduce((n, xs) => n + median(xs), 0)
    console.log(`  relations ${ms(relationsMs)} (psql ${ms(rawSum)}), other checks ${ms(otherMs)}, planning ${ms(median(t.plan))}`)
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
    console.log(`${ratioRelations <= TARGET_RELATIONS ? 'PASS' : 'FAIL'}: (a)/(b) two DoR relations, ours / psql = ${ratioRelations.toFixed(2)} (target ≤ ${TARGET_RELATIONS})`)
    console.log(`${ratioRun <= TARGET_RUN ? 'PASS' : 'FAIL'}: (c)/(d) whole run / raw anti-joins = ${ratioRun.toFixed(2)} (target ≤ ${TARGET_RUN})`)
  } finally {
    await state?.destroy()
    await dropDatabase(bench.url, stateName).catch(() => {})
    await db.destroy()
    await bench.close()
  }
}

runBenchmark(main)
