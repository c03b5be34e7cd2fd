import { type Kysely, type Migration, type RawBuilder, sql } from 'kysely'
import { type FreshDatabase, freshDatabase } from '../../test/fresh-db'
import type { freshStateDb } from '../../test/state-db'
import { readApplied } from './applied'
import { defineMigrations, type MigrationSet } from './registry'
import type { RunOptions } from './runner'
import { lastApplies } from './run-store'

/**
 * Test fixtures: migration sets built from SQL statements with their own migration tables, so
 * tests never touch the DoR index.
 */

export type StateDb = Awaited<ReturnType<typeof freshStateDb>>

type Declared = { transactional?: false; irreversible?: string }

type Statements = RawBuilder<unknown> | RawBuilder<unknown>[]

/** A migration module whose up (and down, when given) runs each statement in turn. */
export function sqlMigration(up: Statements, down?: Statements | null, declared: Declared = {}): Migration {
  const run = (statements: Statements) => async (db: Kysely<any>) => {
    for (const statement of [statements].flat()) await statement.execute(db)
  }
  return { up: run(up), ...(down ? { down: run(down) } : {}), ...declared }
}

/** A test set with the checksum 'sum:<name>' for each migration unless `checksums` says otherwise. */
export function testSet(
  index: Record<string, Migration>,
  checksums: Record<string, string> = {},
  table = 'test_migration',
): MigrationSet {
  const sums = Object.fromEntries(Object.keys(index).map((name) => [name, checksums[name] ?? `sum:${name}`]))
  return defineMigrations(index, sums, { table, lockTable: `${table}_lock` })
}

export interface TestTarget extends FreshDatabase {
  opts(set: MigrationSet, overrides?: Partial<RunOptions>): RunOptions
}

/** A fresh target database and run options on it for the admin of `state`, without snapshots. */
export async function testTarget(state: StateDb, prefix = 'mig'): Promise<TestTarget> {
  const target = await freshDatabase(prefix)
  return Object.assign(target, {
    opts: (set: MigrationSet, overrides: Partial<RunOptions> = {}): RunOptions => ({
      targetUrl: target.url,
      state: state.db,
      set,
      actor: { id: state.users.admin.id, label: state.users.admin.email, source: 'dashboard' },
      lockTimeoutMs: 2000,
      statementTimeoutMs: 30_000,
      snapshots: false,
      ...overrides,
    }),
  })
}

/** What the target's migration table lists, in name order. */
export async function tableNames(target: Kysely<any>, set: MigrationSet): Promise<string[]> {
  return (await readApplied(target, set.table)).map((a) => a.name)
}

/** The names whose newest successful step in the history is an 'up', in name order. */
export async function historyNames(state: Kysely<any>, targetKey: string): Promise<string[]> {
  return [...(await lastApplies(state, targetKey)).keys()].sort()
}

export async function relationExists(db: Kysely<any>, name: string): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`select to_regclass(${name}) is not null as present`.execute(db)
  return rows[0].present
}
