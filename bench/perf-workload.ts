import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { pgToolEnv } from '../lib/db/pg-tool-env'

const PSQL = `${process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'}/psql`

/** Runs a file of statements through one psql session, output discarded. */
export function psqlFile(url: string, lines: string[]): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dor-bench-'))
  try {
    const file = path.join(dir, 'work.sql')
    fs.writeFileSync(file, lines.join('\n') + '\n')
    execFileSync(PSQL, ['-X', '-q', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1', '-f', file], { env: pgToolEnv(url), maxBuffer: 1 << 26 })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * `count` tables bench_rel_N in schema bench_rels, each with a primary key, an index on `v`, and
 * on every tenth a duplicate of that index: the Tables and Indexes pages' catalogue at scale.
 * Kept when they are already there.
 */
export async function ensureTables(db: Kysely<any>, url: string, count: number): Promise<void> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'bench_rels' and c.relkind = 'r'`.execute(db)
  if (rows[0].n === count) return
  const lines = ['set client_min_messages = warning;', 'drop schema if exists bench_rels cascade;', 'create schema bench_rels;']
  for (let i = 1; i <= count; i++) {
    lines.push(`create table bench_rels.bench_rel_${i} (id int primary key, v int, note text);`)
    lines.push(`create index bench_rel_${i}_v on bench_rels.bench_rel_${i} (v);`)
    if (i % 10 === 0) lines.push(`create index bench_rel_${i}_v_again on bench_rels.bench_rel_${i} (v);`)
    lines.push(`insert into bench_rels.bench_rel_${i} select g, g % 7, 'n' from generate_series(1, 20) g;`)
  }
  lines.push('analyze;')
  psqlFile(url, lines)
}

const STATEMENT_TABLES = 50
const STATEMENT_COLUMNS = 100

/**
 * After a reset, `count` distinct statements in pg_stat_statements (`select cJ from bench_tI where
 * c1 = $1` over 50 tables of 100 columns, each run 1–3 times), as bench/slow-queries.bench.ts has them.
 */
export async function loadStatements(db: Kysely<any>, url: string, count: number): Promise<number> {
  if (count > STATEMENT_TABLES * STATEMENT_COLUMNS) throw new Error(`at most ${STATEMENT_TABLES * STATEMENT_COLUMNS} statements`)
  await sql`create extension if not exists pg_stat_statements`.execute(db)
  const cols = Array.from({ length: STATEMENT_COLUMNS }, (_, c) => `c${c + 1} int`).join(', ')
  const lines = ['set client_min_messages = warning;']
  for (let t = 1; t <= STATEMENT_TABLES; t++) lines.push(`create table if not exists bench_t${t} (${cols});`)
  lines.push('select pg_stat_statements_reset();')
  for (let n = 0; n < count; n++) {
    const t = 1 + (n % STATEMENT_TABLES)
    const c = 1 + Math.floor(n / STATEMENT_TABLES)
    for (let k = 0; k <= n % 3; k++) lines.push(`select c${c} from bench_t${t} where c1 = ${k};`)
  }
  psqlFile(url, lines)
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())`.execute(db)
  return rows[0].n
}

/**
 * `total` sessions, `chain` of them in one blocking chain (session k holds row k and waits for
 * row k−1); of the rest a third idle, a third idle in transaction, a third in pg_sleep. Resolves
 * once the chain waits; close() ends them all.
 */
export async function openSessions(db: Kysely<any>, url: string, total: number, chain: number): Promise<{ close: () => Promise<void> }> {
  const clients: pg.Client[] = []
  const pending: Promise<unknown>[] = []
  const close = async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})))
    await Promise.allSettled(pending)
  }
  try {
    await sql`drop table if exists bench_chain`.execute(db)
    await sql`create table bench_chain (id int primary key, v int)`.execute(db)
    await sql`insert into bench_chain select g, 0 from generate_series(0, ${chain - 1}::int) g`.execute(db)
    const open = async (name: string) => {
      const c = new pg.Client({ connectionString: url, application_name: name })
      c.on('error', () => {})
      await c.connect()
      clients.push(c)
      return c
    }
    const links = await Promise.all(Array.from({ length: chain }, () => open('bench-chain')))
    for (const [k, c] of links.entries()) {
      await c.query('begin')
      await c.query('update bench_chain set v = v + 1 where id = $1', [k])
    }
    for (let k = 1; k < chain; k++) pending.push(links[k].query('update bench_chain set v = v + 1 where id = $1', [k - 1]).catch(() => {}))
    for (let i = 0; i < total - chain; i++) {
      const c = await open('bench-app')
      if (i % 3 === 1) {
        await c.query('begin')
        await c.query('select 1')
      } else if (i % 3 === 2) pending.push(c.query('select pg_sleep(600)').catch(() => {}))
    }
    for (;;) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity where application_name = 'bench-chain' and wait_event_type = 'Lock'`.execute(db)
      if (rows[0].n === chain - 1) break
      await new Promise((r) => setTimeout(r, 50))
    }
    return { close }
  } catch (e) {
    await close()
    throw e
  }
}
