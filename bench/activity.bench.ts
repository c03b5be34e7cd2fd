/**
 * The activity view with 200 sessions, 50 of them in one blocking chain, against the raw query a
 * DBA would type into psql, measured alternately in the same run:
 *   npx tsx bench/activity.bench.ts [--sessions 200] [--chain 50] [--rounds 10] [--database-url URL]
 * Default: perf_bench in the benchmarks' own embedded cluster (DATA_DIR/bench-perf, max_connections
 * 300). The sessions: a chain where session k holds row k and waits for row k−1; of the rest a third
 * idle, a third idle in transaction, a third in pg_sleep. Target: ours / psql ≤ 1.2.
 */
import { parseArgs } from 'node:util'
import { createDb, describeUrl } from '../lib/db/connect'
import { listActivity } from '../lib/performance/activity'
import { median, ms, runBenchmark } from './bench-kit'
import { psql, timed } from './dor-bench'
import { openPerfBenchDatabase } from './perf-bench-cluster'
import { openSessions } from './perf-workload'

const TARGET = 1.2

/** The same facts as listActivity: every session, its blockers and the lock it waits for. */
const RAW = `select a.pid, a.leader_pid, a.datname, a.usename, a.application_name, host(a.client_addr), a.client_hostname, a.client_port,
       a.backend_type, a.state, a.wait_event_type, a.wait_event, a.backend_start, a.xact_start, a.query_start, a.state_change,
       now() - a.query_start as running_for, now() - a.xact_start as in_transaction_for, left(a.query, 300) as query,
       pg_blocking_pids(a.pid) as blocked_by, l.locktype, l.mode, l.relation::regclass, l.transactionid
from pg_stat_activity a left join pg_locks l on l.pid = a.pid and not l.granted
order by a.query_start nulls last`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sessions: { type: 'string' }, chain: { type: 'string' }, rounds: { type: 'string' }, 'database-url': { type: 'string' } },
    strict: true,
  })
  const total = Number(values.sessions ?? 200)
  const chain = Number(values.chain ?? 50)
  const rounds = Number(values.rounds ?? 10)
  if (![total, chain, rounds].every(Number.isInteger) || chain < 2 || total < chain || rounds < 3) {
    throw new Error('usage: tsx bench/activity.bench.ts [--sessions N] [--chain 2–N] [--rounds N≥3] [--database-url URL]')
  }
  const bench = await openPerfBenchDatabase('perf_bench', values['database-url'] ?? process.env.DATABASE_URL)
  const where = describeUrl(bench.url)
  console.log(`activity benchmark on ${where.database} at ${where.host}:${where.port}: ${total} sessions, a chain of ${chain}, ${rounds} rounds`)
  const db = createDb(bench.url, { max: 4, applicationName: 'dor-bench-activity' })
  let sessions: Awaited<ReturnType<typeof openSessions>> | undefined
  try {
    const started = performance.now()
    sessions = await openSessions(db, bench.url, total, chain)
    console.log(`sessions ready in ${ms(performance.now() - started)}`)

    const first = await listActivity(db)
    const root = first.blocking.find((n) => n.waitingBehind === chain - 1)
    let depth = 0
    for (let n = root; n?.children.length; n = n.children[0]) depth++
    const check = await psql(bench.url, [`select count(*), count(*) filter (where cardinality(blocked_by) > 0) from (${RAW}) q`])
    console.log(`ours: ${first.sessions.length} sessions, ${first.counts.waiting} waiting, chain depth ${depth}; psql: ${check.lines[0].replace('|', ' sessions, ')} waiting`)

    const ours: number[] = []
    const raw: number[] = []
    const rawServer: number[] = []
    for (let r = 0; r < rounds; r++) {
      ours.push((await timed(() => listActivity(db))).ms)
      const p = await psql(bench.url, [RAW])
      raw.push(p.ms)
      rawServer.push(p.times[0])
    }
    const ratio = median(ours) / median(raw)
    console.log(`\nmedians:\n  activity (${first.sessions.length} sessions)  ours ${ms(median(ours), 1)}  psql ${ms(median(raw), 1)} (of which the query ${ms(median(rawServer), 1)})  ratio ${ratio.toFixed(2)}`)
    console.log(`target: ours/psql ≤ ${TARGET}`)
    console.log(`${ratio <= TARGET ? 'PASS' : 'FAIL'}: ratio ${ratio.toFixed(2)}`)
  } finally {
    await sessions?.close()
    await db.destroy()
    await bench.close()
  }
}

runBenchmark(main)
