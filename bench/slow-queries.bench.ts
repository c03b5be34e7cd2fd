/**
 * The slow-queries list with 5,000 distinct statements in pg_stat_statements, against the raw
 * query a DBA would type into psql, measured alternately in the same run:
 *   npx tsx bench/slow-queries.bench.ts [--statements 5000] [--rounds 10] [--database-url URL]
 * Default: perf_bench in the benchmarks' own embedded cluster (DATA_DIR/bench-perf). The
 * statements are `select cJ from bench_tI where c1 = $1` over 50 tables of 100 columns, run 1–3
 * times each after a reset. Target: ours / psql ≤ 1.2. Exits 0 unless it could not run.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { createDb, describeUrl } from '../lib/db/connect'
import { pgToolEnv } from '../lib/db/pg-tool-env'
import { listSlowQueries, type SlowQueryOptions } from '../lib/performance/slow-queries'
import { median, ms, runBenchmark } from './bench-kit'
import { psql, timed } from './dor-bench'
import { openPerfBenchDatabase } from './perf-bench-cluster'

const TARGET = 1.2
const PSQL = `${process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'}/psql`
const TABLES = 50
const COLUMNS = 100

/** The same facts as listSlowQueries, written as one query. */
function rawQuery(order: string, where = ''): string {
  return `select s.queryid, s.query, r.rolname, d.datname, s.calls, s.total_exec_time, s.mean_exec_time, s.min_exec_time,
       s.max_exec_time, s.stddev_exec_time, s.rows, s.total_exec_time / sum(s.total_exec_time) over () as share,
       s.shared_blks_hit::float8 / nullif(s.shared_blks_hit + s.shared_blks_read, 0) as hit_ratio,
       s.temp_blks_read, s.temp_blks_written
from pg_stat_statements s left join pg_roles r on r.oid = s.userid left join pg_database d on d.oid = s.dbid
where s.dbid = (select oid from pg_database where datname = current_database()) ${where}
order by ${order} desc limit 100`
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { statements: { type: 'string' }, rounds: { type: 'string' }, 'database-url': { type: 'string' } },
    strict: true,
  })
  const statements = Number(values.statements ?? 5000)
  const rounds = Number(values.rounds ?? 10)
  if (!Number.isInteger(statements) || statements < 1 || statements > TABLES * COLUMNS || !Number.isInteger(rounds) || rounds < 3) {
    throw new Error(`usage: tsx bench/slow-queries.bench.ts [--statements 1–${TABLES * COLUMNS}] [--rounds N≥3] [--database-url URL]`)
  }
  const bench = await openPerfBenchDatabase('perf_bench', values['database-url'] ?? process.env.DATABASE_URL)
  const where = describeUrl(bench.url)
  console.log(`slow-queries benchmark on ${where.database} at ${where.host}:${where.port}, ${statements} statements, ${rounds} rounds`)
  const db = createDb(bench.url, { max: 4, applicationName: 'dor-bench-slow-queries' })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dor-bench-slow-'))
  try {
    await sql`create extension if not exists pg_stat_statements`.execute(db)
    // The tables, a reset, then the workload: one psql session, each statement 1–3 times.
    const cols = Array.from({ length: COLUMNS }, (_, c) => `c${c + 1} int`).join(', ')
    const setup = Array.from({ length: TABLES }, (_, t) => `create table if not exists bench_t${t + 1} (${cols});`)
    const lines: string[] = ['set client_min_messages = warning;', ...setup, 'select pg_stat_statements_reset();']
    for (let n = 0; n < statements; n++) {
      const t = 1 + (n % TABLES)
      const c = 1 + Math.floor(n / TABLES)
      for (let k = 0; k <= n % 3; k++) lines.push(`select c${c} from bench_t${t} where c1 = ${k};`)
    }
    const file = path.join(dir, 'workload.sql')
    fs.writeFileSync(file, lines.join('\n') + '\n')
    const loaded = await timed(async () =>
      execFileSync(PSQL, ['-X', '-q', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1', '-f', file], { env: pgToolEnv(bench.url) }),
    )
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())`.execute(db)
    console.log(`workload: ${lines.length - setup.length - 2} executions in ${ms(loaded.ms)}; pg_stat_statements holds ${rows[0].n} statements of this database`)
    if (rows[0].n < statements) throw new Error(`only ${rows[0].n} statements were kept: is pg_stat_statements.max at least ${statements + 100}?`)

    const cases: { name: string; ours: SlowQueryOptions; raw: string }[] = [
      { name: 'top 100 by total time', ours: { limit: 100 }, raw: rawQuery('s.total_exec_time') },
      { name: 'top 100 by mean time', ours: { limit: 100, sort: 'mean' }, raw: rawQuery('s.mean_exec_time') },
      { name: 'search "bench_t7 " by calls', ours: { limit: 100, sort: 'calls', search: 'bench_t7 ' }, raw: rawQuery('s.calls', `and s.query ilike '%bench_t7 %'`) },
    ]
    let worst = 0
    const summary: string[] = []
    for (const c of cases) {
      const first = await listSlowQueries(db, c.ours)
      const check = await psql(bench.url, [`select count(*) from (${c.raw}) q`])
      console.log(`${c.name}: ours ${first.queries.length} rows of ${first.totals.matched} matched, psql ${check.lines[0]} rows`)
      const ours: number[] = []
      const raw: number[] = []
      const rawServer: number[] = []
      for (let r = 0; r < rounds; r++) {
        ours.push((await timed(() => listSlowQueries(db, c.ours))).ms)
        const p = await psql(bench.url, [c.raw])
        raw.push(p.ms)
        rawServer.push(p.times[0])
      }
      const ratio = median(ours) / median(raw)
      worst = Math.max(worst, ratio)
      summary.push(
        `  ${c.name.padEnd(30)} ours ${ms(median(ours), 1).padStart(9)}  psql ${ms(median(raw), 1).padStart(9)} (of which the query ${ms(median(rawServer), 1)})  ratio ${ratio.toFixed(2)}`,
      )
    }
    console.log('\nmedians:')
    for (const line of summary) console.log(line)
    console.log(`target: ours/psql ≤ ${TARGET}`)
    console.log(`${worst <= TARGET ? 'PASS' : 'FAIL'}: worst ratio ${worst.toFixed(2)} with ${rows[0].n} statements`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
    await db.destroy()
    await bench.close()
  }
}

runBenchmark(main)
