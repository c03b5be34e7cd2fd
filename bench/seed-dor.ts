/**
 * Fills a DoR-Dash database at a chosen scale for benchmarks:
 *   npx tsx bench/seed-dor.ts --scale 20 [--shape migrations|bare] [--database-url postgres://…]   (or DATABASE_URL)
 * --shape bare builds the tables by hand as production has them (primary keys and the foreign keys
 * to "user", no other index) instead of through the project's migrations; its default database is
 * dor_bench_bare.
 * Scale N gives N×1000 users and meetings, N×10,000 agenda items, N×2,000 uploads and
 * N×100 registration requests, with 0.1 % orphans in each relation that lacks a foreign
 * key. It TRUNCATEs the DoR tables first, so point it only at a throwaway database.
 */
import { realpathSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type Kysely, sql } from 'kysely'
import { createDb, describeUrl } from '../lib/db/connect'
import { dorMigrator } from '../migrations/index'
import { createBareDorSchema } from './bare-dor-schema'
import { openBenchDatabase } from './bench-database'
import { runBenchmark } from './bench-kit'

export interface DorSeedCounts {
  users: number
  meetings: number
  agendaItems: number
  fileUploads: number
  registrationRequests: number
  /** Every 1000th agenda item points past the last meeting, i.e. at a deleted one. */
  orphanAgendaItems: number
  /** Every 1000th upload points past the last agenda item. */
  orphanFileUploads: number
  /** Uploads 1, 51, 101, … belong to no agenda item; allowed, and not orphans. */
  unattachedFileUploads: number
}

export function dorSeedCounts(scale: number): DorSeedCounts {
  return {
    users: 1_000 * scale,
    meetings: 1_000 * scale,
    agendaItems: 10_000 * scale,
    fileUploads: 2_000 * scale,
    registrationRequests: 100 * scale,
    orphanAgendaItems: 10 * scale,
    orphanFileUploads: 2 * scale,
    unattachedFileUploads: 40 * scale,
  }
}

// One statement per million rows keeps each transaction's WAL and memory bounded.
const CHUNK = 1_000_000
const BENCH_PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2g$not-a-real-hash'
const DOR_TABLES = ['user', 'meeting', 'agenda_item', 'fileupload', 'registration_request']

type Log = (msg: string) => void

/** 'migrations': the project's DoR migrations; 'bare': built by hand, keys and foreign keys to "user" only. */
export type DorShape = 'migrations' | 'bare'

export const benchDatabaseName = (shape: DorShape) => (shape === 'bare' ? 'dor_bench_bare' : 'dor_bench')

export function parseShape(value: string | undefined): DorShape {
  if (value === undefined || value === 'migrations' || value === 'bare') return value ?? 'migrations'
  throw new Error(`--shape must be migrations or bare, not ${value}`)
}

export async function seedDor(db: Kysely<any>, scale: number, log: Log = () => {}, shape: DorShape = 'migrations'): Promise<DorSeedCounts> {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a positive integer, got ${scale}`)
  const n = dorSeedCounts(scale)

  if (shape === 'bare') {
    await createBareDorSchema(db)
    log('built the DoR tables by hand: primary keys and foreign keys to "user" only')
  } else {
    const { error, results } = await dorMigrator(db).migrateToLatest()
    if (error) throw new Error(`DoR migrations failed: ${(error as Error).message ?? error}`)
    for (const r of results ?? []) log(`migrated ${r.migrationName}`)
    // CASCADE also empties hand-made tables that reference these (the demo's meeting_attendee).
    await sql`TRUNCATE ${sql.join(DOR_TABLES.map((t) => sql.table(t)))} RESTART IDENTITY CASCADE`.execute(db)
  }

  await timed(log, 'user', n.users, (lo, hi) => sql`
    INSERT INTO "user" (id, username, email, full_name, hashed_password, role, avatar, created_at)
    SELECT i, 'user' || i, 'user' || i || '@bench.example.edu', 'Bench User ' || i, ${BENCH_PASSWORD_HASH},
      -- The production mix of spellings, so per-role counts have something to fold.
      CASE WHEN i = 1 THEN 'ADMIN' WHEN i % 100 = 0 THEN 'FACULTY' WHEN i % 100 = 50 THEN 'faculty'
           WHEN i % 20 = 7 THEN 'student' ELSE 'STUDENT' END,
      CASE WHEN i % 1000 = 0 THEN decode(repeat('ab', 2048), 'hex') END,
      timestamptz '2020-01-01 00:00+00' + (i % 1500) * interval '1 day'
    FROM generate_series(${lo}::int, ${hi}::int) AS i
  `.execute(db))

  await timed(log, 'meeting', n.meetings, (lo, hi) => sql`
    INSERT INTO meeting (id, title, meeting_type, start_time, end_time, created_by, location, created_at)
    SELECT m, 'Meeting ' || m,
      (CASE m % 3 WHEN 0 THEN 'general_update' WHEN 1 THEN 'presentations_and_updates' ELSE 'other' END)::meetingtype,
      t.start_time, t.start_time + interval '90 minutes',
      1 + (m::bigint * 7919) % ${n.users}::int,
      CASE WHEN m % 4 <> 0 THEN 'Room ' || (100 + m % 40) END,
      t.start_time - interval '14 days'
    FROM generate_series(${lo}::int, ${hi}::int) AS m
    CROSS JOIN LATERAL (
      SELECT timestamptz '2020-01-06 09:00+00' + (m % 1500) * interval '1 day' + (m % 9) * interval '1 hour' AS start_time
    ) AS t
  `.execute(db))

  // Ten items per meeting, numbered 1..10; every 1000th goes to a meeting id past the end.
  await timed(log, 'agenda_item', n.agendaItems, (lo, hi) => sql`
    INSERT INTO agenda_item (id, meeting_id, user_id, item_type, title, content, order_index, created_at)
    SELECT i,
      CASE WHEN i % 1000 = 0 THEN ${n.meetings}::int + i / 1000 ELSE 1 + (i - 1) / 10 END,
      1 + (i::bigint * 7919) % ${n.users}::int,
      (CASE (i - 1) % 10 WHEN 0 THEN 'announcement' WHEN 9 THEN 'presentation' WHEN 8 THEN 'faculty_update'
         ELSE 'student_update' END)::agendaitemtype,
      'Update ' || i,
      jsonb_build_object('summary', 'Progress notes ' || i, 'blockers', i % 7 = 0),
      1 + (i - 1) % 10,
      timestamptz '2020-01-01 00:00+00' + ((i / 10) % 1500) * interval '1 day' + (i % 10) * interval '1 minute'
    FROM generate_series(${lo}::int, ${hi}::int) AS i
  `.execute(db))

  // Upload i belongs to item 1 + 5(i-1), so each item has at most one file.
  await timed(log, 'fileupload', n.fileUploads, (lo, hi) => sql`
    INSERT INTO fileupload (id, agenda_item_id, user_id, filename, filepath, file_size, mime_type, uploaded_at)
    SELECT i,
      CASE WHEN i % 1000 = 0 THEN ${n.agendaItems}::int + i / 1000
           WHEN i % 50 = 1 THEN NULL
           ELSE 1 + (i - 1) * 5 END,
      1 + (i::bigint * 7919) % ${n.users}::int,
      'file-' || i || '.pdf', 'uploads/' || (i % 1000) || '/file-' || i || '.pdf',
      10000 + (i::bigint * 104729) % 50000000,
      'application/pdf',
      timestamptz '2020-01-01 00:00+00' + (i % 1500) * interval '1 day'
    FROM generate_series(${lo}::int, ${hi}::int) AS i
  `.execute(db))

  await timed(log, 'registration_request', n.registrationRequests, (lo, hi) => sql`
    INSERT INTO registration_request (id, username, email, full_name, password, status, processed_by, processed_at, created_at)
    SELECT r, 'applicant' || r, 'applicant' || r || '@mail.example.com', 'Applicant ' || r,
      'bench-plaintext-password-' || r,
      (CASE r % 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'approved' ELSE 'rejected' END)::registrationstatus,
      CASE WHEN r % 3 <> 0 THEN 1 END,
      CASE WHEN r % 3 <> 0 THEN timestamptz '2024-01-03 00:00+00' + (r % 300) * interval '1 day' END,
      timestamptz '2024-01-01 00:00+00' + (r % 300) * interval '1 day'
    FROM generate_series(${lo}::int, ${hi}::int) AS r
  `.execute(db))

  // Ids were given explicitly; later inserts by the application must continue after them.
  for (const table of DOR_TABLES) {
    await sql`SELECT setval(pg_get_serial_sequence(format('%I', ${table}::text), 'id'), (SELECT max(id) FROM ${sql.table(table)}))`.execute(db)
  }
  const started = performance.now()
  await sql`ANALYZE ${sql.join(DOR_TABLES.map((t) => sql.table(t)))}`.execute(db)
  log(`analyze: ${seconds(started)}`)
  return n
}

async function timed(
  log: Log,
  table: string,
  rows: number,
  insertRange: (lo: number, hi: number) => Promise<unknown>,
): Promise<void> {
  const started = performance.now()
  for (let lo = 1; lo <= rows; lo += CHUNK) await insertRange(lo, Math.min(rows, lo + CHUNK - 1))
  log(`${table}: ${rows.toLocaleString('en-US')} rows in ${seconds(started)}`)
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string' }, 'database-url': { type: 'string' }, shape: { type: 'string' } },
    strict: true,
  })
  const shape = parseShape(values.shape)
  const scale = Number(values.scale)
  const url = values['database-url'] ?? process.env.DATABASE_URL
  if (!values.scale || !Number.isInteger(scale) || scale < 1) {
    throw new Error('usage: tsx bench/seed-dor.ts --scale N [--shape migrations|bare] [--database-url URL]  (N a positive integer; default database: dor_bench, or dor_bench_bare, in the embedded cluster)')
  }
  // Without a URL: the database dor_bench (dor_bench_bare) in the embedded cluster.
  const bench = await openBenchDatabase(benchDatabaseName(shape), url)
  const target = describeUrl(bench.url)
  console.log(`seeding ${target.database} on ${target.host}:${target.port} at scale ${scale}, ${shape} shape`)
  const db = createDb(bench.url, { max: 1, applicationName: 'dor-bench-seed' })
  const started = performance.now()
  try {
    const n = await seedDor(db, scale, (msg) => console.log(`  ${msg}`), shape)
    console.log(`done in ${seconds(started)}: ${n.orphanAgendaItems} orphan agenda items, ${n.orphanFileUploads} orphan uploads`)
  } finally {
    await db.destroy()
    await bench.close()
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  runBenchmark(main)
}
