/**
 * One health sample's cost against the raw catalog queries it runs, through psql, in the same run:
 *   npx tsx bench/metrics-sample.bench.ts [--scale 500] [--rounds 20] [--extra-tables 1000] [--database-url URL]
 * On the seeded DoR database (dor_bench, see bench/dor-bench.ts) with pg_stat_statements, and a
 * state database beside it. Measured, alternately:
 *   - ours: the target's time of takeSample (readTarget: the sample statement and the
 *     pg_stat_statements totals, as the pool sends them), and the whole takeSample with its state writes;
 *   - psql: the same two statements' text in one psql process, twice, its \timing per statement of
 *     the second time (server work and transfer; a new backend's first statements pay for its cold
 *     catalog caches, which the pool's warm connections do not).
 * Then again after --extra-tables empty tables (each with a primary key) are added, to show that the
 * sample stays flat in the number of tables. The parts that grow (the database size, a listing of
 * every file; the index hit counters, a row per index) are read every 5 minutes only, timed on
 * their own line; the hourly table sizes are not part of it either.
 * Targets: at most 50 ms of database time per sample on the DoR database (issue 15), ours / psql ≤ 1.5.
 */
import { parseArgs } from 'node:util'
import { type Kysely, sql } from 'kysely'
import { createDb, describeUrl, withDatabase } from '../lib/db/connect'
import { targetIdentity } from '../lib/db/target-identity'
import { readTarget, statementTotalsQuery, targetQuery } from '../lib/metrics/read-target'
import { takeSample } from '../lib/metrics/take-sample'
import { ensureDatabase } from '../lib/runtime/cluster-databases'
import { migrateStateDb } from '../lib/state/migrate-state'
import { median, ms, runBenchmark } from './bench-kit'
import { openBenchDatabase } from './bench-database'
import { ensureSeeded, psql, timed } from './dor-bench'

const BUDGET_MS = 50
const RATIO_TARGET = 1.5

interface Round {
  ours: number
  whole: number
  psqlServer: number
  psqlProcess: number
  /** The reading every 5 minutes that adds the database size and the index counters. */
  slow: number
  psqlSlow: number
}

async function measure(db: Kysely<any>, state: Kysely<any>, key: string, url: string, rounds: number): Promise<Round[]> {
  const { rows } = await sql<{ schema: string | null }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements'`.execute(db)
  const extra = rows[0]?.schema ? [statementTotalsQuery(rows[0].schema, 'total_exec_time').compile(db).sql] : []
  const statements = [targetQuery(false).compile(db).sql, ...extra]
  const slowStatements = [targetQuery(true).compile(db).sql, ...extra]
  // Warm both paths: plans, the catalog cache, the pool's connections.
  await readTarget(db, { slow: true })
  await psql(url, statements)
  const out: Round[] = []
  for (let r = 0; r < rounds; r++) {
    const ours = (await timed(() => readTarget(db, { slow: false }))).ms
    const slow = (await timed(() => readTarget(db, { slow: true }))).ms
    const whole = (await timed(() => takeSample(db, state, key, { tableSizes: false, slowEveryMs: Infinity }))).ms
    const p = await psql(url, [...statements, ...statements, ...slowStatements])
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    const n = statements.length
    out.push({ ours, whole, psqlServer: sum(p.times.slice(n, 2 * n)), psqlProcess: p.ms, slow, psqlSlow: sum(p.times.slice(2 * n)) })
  }
  return out
}

function report(label: string, rounds: Round[]): { ours: number; ratio: number } {
  const ours = median(rounds.map((r) => r.ours))
  const server = median(rounds.map((r) => r.psqlServer))
  const ratio = ours / server
  console.log(
    `  ${label.padEnd(12)} sample: ours ${ms(ours, 2)}  psql ${ms(server, 2)} (process ${ms(median(rounds.map((r) => r.psqlProcess)), 0)})  ratio ${ratio.toFixed(2)}  whole takeSample ${ms(median(rounds.map((r) => r.whole)), 2)}` +
      `\n  ${''.padEnd(12)} every 5 min with size and index counters: ours ${ms(median(rounds.map((r) => r.slow)), 2)}  psql ${ms(median(rounds.map((r) => r.psqlSlow)), 2)}`,
  )
  return { ours, ratio }
}

const ratioNote = (ratio: number, extra: number) => `${ratio.toFixed(2)} with ${extra} more tables`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string' }, rounds: { type: 'string' }, 'extra-tables': { type: 'string' }, 'database-url': { type: 'string' } },
    strict: true,
  })
  const scale = Number(values.scale ?? 500)
  const rounds = Number(values.rounds ?? 20)
  const extra = Number(values['extra-tables'] ?? 1000)
  if (![scale, rounds, extra].every(Number.isInteger) || scale < 1 || rounds < 3 || extra < 0) {
    throw new Error('usage: tsx bench/metrics-sample.bench.ts [--scale N] [--rounds N≥3] [--extra-tables N] [--database-url URL]')
  }
  const bench = await openBenchDatabase('dor_bench', values['database-url'] ?? process.env.DATABASE_URL)
  const where = describeUrl(bench.url)
  console.log(`metrics sample benchmark on ${where.database} at ${where.host}:${where.port}, scale ${scale}, ${rounds} rounds`)
  const db = createDb(bench.url, { max: 2, applicationName: 'dor-bench-metrics' })
  const stateName = 'dor_bench_metrics_state'
  await ensureDatabase(bench.url, stateName)
  const state = createDb(withDatabase(bench.url, stateName), { max: 2, applicationName: 'dor-bench-metrics' })
  try {
    await ensureSeeded(db, scale)
    await sql`create extension if not exists pg_stat_statements`.execute(db).catch((e: Error) => console.log(`without pg_stat_statements: ${e.message}`))
    await migrateStateDb(state)
    const { key } = await targetIdentity(db)
    const tables = async () => (await sql<{ n: number }>`select count(*)::int as n from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace`.execute(db)).rows[0].n

    console.log('\nmedians:')
    const base = report(`${await tables()} tables`, await measure(db, state, key, bench.url, rounds))
    let wide = base
    if (extra > 0) {
      await sql`drop schema if exists bench_wide cascade`.execute(db)
      await sql`create schema bench_wide`.execute(db)
      await sql`do $$ begin for i in 1..${sql.lit(extra)} loop execute format('create table bench_wide.t%s (id int primary key, v text)', i); end loop; end $$`.execute(db)
      try {
        const total = (await tables()) + extra
        wide = report(`${total} tables`, await measure(db, state, key, bench.url, rounds))
      } finally {
        await sql`drop schema bench_wide cascade`.execute(db)
      }
    }
    console.log(`\ntargets: ≤ ${BUDGET_MS} ms of database time per sample on the DoR database; ours/psql ≤ ${RATIO_TARGET}`)
    const ok = base.ours <= BUDGET_MS && Math.max(base.ratio, wide.ratio) <= RATIO_TARGET
    console.log(`${ok ? 'PASS' : 'FAIL'}: ${ms(base.ours, 2)} a sample, ratio ${base.ratio.toFixed(2)} (${ratioNote(wide.ratio, extra)})`)
    if (extra > 0) console.log(`growth with ${extra} more tables: ${ms(base.ours, 2)} → ${ms(wide.ours, 2)} (×${(wide.ours / base.ours).toFixed(2)})${wide.ours / base.ours > 1.2 ? ': NOT FLAT' : ''}`)
  } finally {
    await db.destroy()
    await state.destroy()
    await bench.close()
  }
}

runBenchmark(main)
