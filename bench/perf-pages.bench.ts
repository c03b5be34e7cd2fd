/**
 * What each performance page waits for before its server render can send HTML (the library
 * calls its page.tsx makes), at the scale issue 14 names, against psql running the very
 * statements those calls sent (recorded from the first call, parameters written in as literals),
 * alternately in the same run:
 *   npx tsx bench/perf-pages.bench.ts [--sessions 200] [--chain 50] [--statements 5000] [--tables 1000] [--rounds 10] [--pages Indexes,Tables] [--database-url URL]
 * Activity with 200 sessions (50 in one blocking chain), Slow queries with 5,000 statements in
 * pg_stat_statements, Tables and Indexes with 1,000 tables (100 of them with a duplicate index),
 * Connections and Settings, and what the Overview's health lines ask of the target (its index
 * line listed, its fingerprint alone, then all its target reads on a usual load). Default: perf_bench in the benchmarks' own embedded cluster.
 * Targets: ours / psql ≤ 1.2 and ours ≤ 200 ms per page. Not included: the session check, the
 * state database's maintenance-job list, and React turning the rows into HTML.
 */
import { execFile } from 'node:child_process'
import { parseArgs } from 'node:util'
import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import { createPool, describeUrl } from '../lib/db/connect'
import { pgToolEnv } from '../lib/db/pg-tool-env'
import { listActivity } from '../lib/performance/activity'
import { readConnections } from '../lib/performance/connections'
import { readIndexesPage } from '../lib/performance/indexes-page'
import { readSettings } from '../lib/performance/settings'
import { listSlowQueries } from '../lib/performance/slow-queries'
import { readSequenceDanger } from '../lib/performance/sequence-danger'
import { listTables, readCacheHitRatios } from '../lib/performance/tables'
import { vacuumConcern } from '../lib/overview/concerns'
import { countIndexFindings, indexFingerprint } from '../lib/overview/index-summary'
import { targetQuery } from '../lib/metrics/read-target'
import { median, ms, runBenchmark } from './bench-kit'
import { timed } from './dor-bench'
import { openPerfBenchDatabase } from './perf-bench-cluster'
import { ensureTables, loadStatements, openSessions } from './perf-workload'

const RATIO_TARGET = 1.2
const RENDER_TARGET_MS = 200
const PSQL = `${process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'}/psql`

/** A parameter as a SQL literal: these are the library's own values (limits, names from the catalogue), not input. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`
  if (v instanceof Date) return quote(v.toISOString())
  if (Array.isArray(v)) return quote(`{${v.map((x) => (x === null ? 'NULL' : `"${String(x).replace(/(["\\])/g, '\\$1')}"`)).join(',')}}`)
  if (typeof v === 'object') return quote(JSON.stringify(v))
  return quote(String(v))
}

/** The statement as psql can run it: $n replaced by its value, highest first so $1 does not eat $10. */
function inline(q: CompiledQuery): string {
  let text = q.sql
  for (let i = q.parameters.length; i >= 1; i--) text = text.replace(new RegExp(`\\$${i}(?!\\d)`, 'g'), literal(q.parameters[i - 1]))
  return text
}

/** One psql process running the statements in order, rows discarded: wall time and the sum of \timing. */
function psqlRun(url: string, statements: string[]): Promise<{ ms: number; serverMs: number; times: number[] }> {
  const started = performance.now()
  const args = ['-X', '-q', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1', '-c', '\\timing on', ...statements.flatMap((s) => ['-c', s])]
  return new Promise((resolve, reject) => {
    execFile(PSQL, args, { env: pgToolEnv(url), maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`psql failed: ${stderr || err.message}`))
      const times = [...stdout.matchAll(/^Time: ([\d.]+) ms/gm)].map((m) => Number(m[1]))
      resolve({ ms: performance.now() - started, serverMs: times.reduce((a, b) => a + b, 0), times })
    })
  })
}

interface Page {
  name: string
  load: (db: Kysely<any>) => Promise<string>
}

const PAGES: Page[] = [
  {
    name: 'Activity',
    load: async (db) => {
      const a = await listActivity(db)
      return `${a.sessions.length} sessions, ${a.counts.waiting} waiting`
    },
  },
  {
    name: 'Slow queries',
    load: async (db) => {
      const r = await listSlowQueries(db, { limit: 50 })
      return r.status.state === 'ready' ? `${r.queries.length} shown of ${r.totals.matched} statements` : `pg_stat_statements: ${r.status.state}`
    },
  },
  {
    name: 'Indexes',
    load: async (db) => {
      // What the page asks for: every finding, and the first 100 indexes by name with their definitions.
      const r = await readIndexesPage(db, { limit: 100 })
      return `${r.total} indexes (${r.indexes.length} shown), ${r.findings.length} findings`
    },
  },
  {
    name: 'Tables',
    load: async (db) => {
      const [tables, , sequences] = await Promise.all([listTables(db), readCacheHitRatios(db), readSequenceDanger(db)])
      return `${tables.tables.length} tables, ${sequences.checked} sequences`
    },
  },
  {
    // The Overview's index line when the index catalogue changed (or hourly): every index listed and judged.
    name: 'Overview index line listed',
    load: async (db) => {
      const c = await countIndexFindings(db)
      return `${c.invalid} invalid, ${c.duplicate} duplicate, ${c.unused} unused`
    },
  },
  {
    // Every other Overview load: the fingerprint only; the counts come from the state database (one key lookup, not timed here).
    name: 'Overview index line unchanged',
    load: async (db) => `fingerprint ${await indexFingerprint(db)}`,
  },
  {
    // What the Overview's health summary asks of the target on a usual load: the live activity
    // statement (no fresh sample in a benchmark), the index fingerprint and the vacuum line (the
    // cache line reads a sample, or one pg_stat_database row). The state database's reads (alerts, runs, backups, migrations, the index counts) are not included.
    name: 'Overview lines',
    load: async (db) => {
      const [activity, fingerprint, vacuum] = await Promise.all([targetQuery(false).execute(db), indexFingerprint(db), vacuumConcern(db)])
      return `${activity.rows[0].total} connections; index fingerprint ${fingerprint}; ${vacuum.text}`
    },
  },
  {
    name: 'Connections',
    load: async (db) => `${(await readConnections(db)).total} connections`,
  },
  {
    name: 'Settings',
    load: async (db) => `${(await readSettings(db)).advice.length} pieces of advice`,
  },
]

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string' },
      chain: { type: 'string' },
      statements: { type: 'string' },
      tables: { type: 'string' },
      rounds: { type: 'string' },
      pages: { type: 'string' },
      'database-url': { type: 'string' },
    },
    strict: true,
  })
  const sessions = Number(values.sessions ?? 200)
  const chain = Number(values.chain ?? 50)
  const statements = Number(values.statements ?? 5000)
  const tables = Number(values.tables ?? 1000)
  const rounds = Number(values.rounds ?? 10)
  if (![sessions, chain, statements, tables, rounds].every(Number.isInteger) || chain < 2 || sessions < chain || rounds < 3 || tables < 1 || statements < 1) {
    throw new Error('usage: tsx bench/perf-pages.bench.ts [--sessions N] [--chain 2–N] [--statements 1–5000] [--tables N] [--rounds N≥3] [--database-url URL]')
  }
  const only = values.pages?.split(',').map((p) => p.trim().toLowerCase())
  const pages = only ? PAGES.filter((p) => only.includes(p.name.toLowerCase())) : PAGES
  if (!pages.length) throw new Error(`--pages: none of ${values.pages} is one of ${PAGES.map((p) => p.name).join(', ')}`)
  const bench = await openPerfBenchDatabase('perf_bench', values['database-url'] ?? process.env.DATABASE_URL)
  const where = describeUrl(bench.url)
  console.log(`performance pages benchmark on ${where.database} at ${where.host}:${where.port}: ${sessions} sessions (chain of ${chain}), ${statements} statements, ${tables} tables, ${rounds} rounds`)
  let recording: CompiledQuery[] | null = null
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: createPool(bench.url, { max: 4, applicationName: 'dor-bench-pages' }) }),
    log: (event) => {
      if (event.level === 'query' && recording) recording.push(event.query)
    },
  })
  let held: { close: () => Promise<void> } | null = null
  try {
    const made = await timed(() => ensureTables(db, bench.url, tables))
    console.log(`tables ready in ${ms(made.ms)}`)
    const loaded = await timed(() => loadStatements(db, bench.url, statements))
    console.log(`pg_stat_statements holds ${loaded.value} statements of this database (loaded in ${ms(loaded.ms)})`)
    if (loaded.value < statements) throw new Error(`only ${loaded.value} statements were kept: is pg_stat_statements.max at least ${statements + 100}?`)
    const opened = await timed(() => openSessions(db, bench.url, sessions, chain))
    held = opened.value
    console.log(`sessions ready in ${ms(opened.ms)}\n`)

    const summary: string[] = []
    let worstRatio = 0
    let slowest = 0
    for (const page of pages) {
      recording = []
      const what = await page.load(db)
      const raw = recording.map(inline)
      recording = null
      const ours: number[] = []
      const psqlMs: number[] = []
      const serverMs: number[] = []
      const each: number[][] = raw.map(() => [])
      for (let r = 0; r < rounds; r++) {
        ours.push((await timed(() => page.load(db))).ms)
        const p = await psqlRun(bench.url, raw)
        psqlMs.push(p.ms)
        serverMs.push(p.serverMs)
        p.times.forEach((t, i) => each[i]?.push(t))
      }
      const ratio = median(ours) / median(psqlMs)
      worstRatio = Math.max(worstRatio, ratio)
      slowest = Math.max(slowest, median(ours))
      const costliest = each.map((ts, i) => ({ i, ms: median(ts) })).sort((a, b) => b.ms - a.ms)[0]
      const head = raw[costliest.i].replace(/\s+/g, ' ').replace('/* dor-db-admin */ ', '').slice(0, 70)
      console.log(`${page.name}: ${what}; ${raw.length} statement${raw.length === 1 ? '' : 's'}, the costliest ${ms(costliest.ms, 1)} in psql: ${head}…`)
      summary.push(
        `  ${page.name.padEnd(13)} ours ${ms(median(ours), 1).padStart(9)}  psql ${ms(median(psqlMs), 1).padStart(9)} (of which the statements ${ms(median(serverMs), 1)})  ratio ${ratio.toFixed(2)}`,
      )
    }
    console.log('\nmedians:')
    for (const line of summary) console.log(line)
    console.log(`targets: ours/psql ≤ ${RATIO_TARGET}, ours ≤ ${RENDER_TARGET_MS} ms per page`)
    console.log(`${worstRatio <= RATIO_TARGET ? 'PASS' : 'FAIL'}: worst ratio ${worstRatio.toFixed(2)}`)
    console.log(`${slowest <= RENDER_TARGET_MS ? 'PASS' : 'FAIL'}: slowest page's data ${ms(slowest, 1)}`)
  } finally {
    await held?.close()
    await db.destroy()
    await bench.close()
  }
}

runBenchmark(main)
