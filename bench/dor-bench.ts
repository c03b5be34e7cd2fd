/**
 * What the DoR benchmarks share: the seeded dor_bench database, psql as the raw tool, timing.
 */
import { execFile } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { type Kysely, sql } from 'kysely'
import { pgToolEnv } from '../lib/db/pg-tool-env'
import { dorShape } from './bare-dor-schema'
import { type DorShape, dorSeedCounts, parseShape, seedDor } from './seed-dor'

const PSQL = `${process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'}/psql`

/**
 * One psql process running the statements in order (each its own transaction): its output lines,
 * and the time psql itself reports for each statement (\timing: server work and transfer, no start-up).
 */
export function psql(url: string, statements: string[]): Promise<{ ms: number; lines: string[]; times: number[] }> {
  const started = performance.now()
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', '\\timing on', ...statements.flatMap((s) => ['-c', s])]
  return new Promise((resolve, reject) => {
    execFile(PSQL, args, { env: pgToolEnv(url), maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`psql failed: ${stderr || err.message}`))
      const out = stdout.trim().split('\n')
      const times = out.map((l) => /^Time: ([\d.]+) ms/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]))
      resolve({ ms: performance.now() - started, lines: out.filter((l) => !l.startsWith('Time: ')), times })
    })
  })
}

export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now()
  const value = await run()
  return { ms: performance.now() - started, value }
}


/**
 * Seeds the bench database unless it holds exactly the rows of this scale in this shape; vacuums
 * and analyzes once after seeding.
 */
export async function ensureSeeded(db: Kysely<any>, scale: number, shape: DorShape = 'migrations'): Promise<void> {
  const want = dorSeedCounts(scale)
  const { rows } = await sql<{ ok: boolean }>`
    select to_regclass('public.registration_request') is not null and to_regclass('public.meeting') is not null
       and to_regclass('public.agenda_item') is not null and to_regclass('public.fileupload') is not null
       and to_regclass('public."user"') is not null as ok
  `.execute(db)
  if (rows[0].ok) {
    const { rows: have } = await sql<Record<string, number>>`
      select (select count(*) from "user") as users, (select count(*) from meeting) as meetings,
             (select count(*) from agenda_item) as "agendaItems", (select count(*) from fileupload) as "fileUploads",
             (select count(*) from registration_request) as "registrationRequests"
    `.execute(db)
    const keys = ['users', 'meetings', 'agendaItems', 'fileUploads', 'registrationRequests'] as const
    const sameShape = (await dorShape(db)) === shape
    if (!sameShape) console.log(`the database's tables are not of the ${shape} shape: seeding again`)
    else if (keys.every((k) => Number(have[0][k]) === want[k])) {
      const { rows: stale } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_user_tables
        where relname in ('user', 'meeting', 'agenda_item', 'fileupload', 'registration_request')
          and coalesce(last_vacuum, last_autovacuum) is null
      `.execute(db)
      if (stale[0].n > 0) await vacuumAnalyze(db)
      return console.log(`reusing the seeded database (scale ${scale}, ${shape} shape)`)
    } else console.log(`the database holds another scale (${keys.map((k) => `${k} ${have[0][k]}`).join(', ')}): seeding again`)
  }
  const started = performance.now()
  await seedDor(db, scale, (msg) => console.log(`  ${msg}`), shape)
  console.log(`seeded at scale ${scale} (${shape} shape) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  await vacuumAnalyze(db)
}

async function vacuumAnalyze(db: Kysely<any>): Promise<void> {
  const started = performance.now()
  await sql`vacuum analyze "user", meeting, agenda_item, fileupload, registration_request`.execute(db)
  console.log(`vacuum analyze: ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

/**
 * `--scale N --rounds N --shape migrations|bare --database-url URL`, as every DoR benchmark takes them,
 * and `--only PART` for a benchmark that names its parts (any other flag stops it).
 */
export function dorBenchOptions(
  script: string,
  parts?: string[],
): { scale: number; rounds: number; shape: DorShape; databaseUrl: string | undefined; only: string | undefined } {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string' },
      'database-url': { type: 'string' },
      rounds: { type: 'string' },
      shape: { type: 'string' },
      ...(parts ? { only: { type: 'string' as const } } : {}),
    },
    strict: true,
  })
  const shape = parseShape(values.shape)
  const scale = Number(values.scale ?? 500)
  const rounds = Number(values.rounds ?? 3)
  const only = (values as { only?: string }).only
  if (!Number.isInteger(scale) || scale < 1 || !Number.isInteger(rounds) || rounds < 3 || (only !== undefined && !parts?.includes(only))) {
    const onlyUsage = parts ? ` [--only ${parts.join('|')}]` : ''
    throw new Error(`usage: tsx bench/${script} [--scale N] [--shape migrations|bare] [--database-url URL] [--rounds N≥3]${onlyUsage}`)
  }
  return { scale, rounds, shape, databaseUrl: values['database-url'] ?? process.env.DATABASE_URL, only }
}
