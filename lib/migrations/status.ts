import { type Kysely, sql } from 'kysely'
import { type TargetIdentity, targetIdentity } from '../db/target-identity'
import { readApplied } from './applied'
import { type ChainManagement, chainManagement } from './management'
import type { MigrationDef, MigrationSet } from './registry'
import { acknowledgedChecksums, lastApplies } from './run-store'
import type { StateDb } from '../state/state-db'

export type MigrationFlagCode =
  | 'edited_after_apply'
  | 'manifest_stale'
  | 'missing_from_code'
  | 'file_missing'
  | 'load_failed'
  | 'out_of_order'
  | 'name_collision'
  | 'no_down'

export interface MigrationFlag {
  code: MigrationFlagCode
  message: string
  advice: string
}

export interface MigrationStatus {
  name: string
  /** not_adopted: the database is migrated by another tool or elsewhere, and nobody adopted the chain. */
  state: 'applied' | 'pending' | 'not_adopted'
  appliedAt: Date | null
  /** A dashboard user or 'cli'; 'outside the dashboard' when another tool applied it. */
  appliedBy: string | null
  durationMs: number | null
  /** Recorded by a baseline: the schema was already there when it was marked applied. */
  baseline: boolean
  /** The checksum of the source in the code now; null for a migration missing from the code. */
  checksum: string | null
  appliedChecksum: string | null
  transactional: boolean
  irreversibleReason: string | null
  flags: MigrationFlag[]
}

export interface MigrationsOverview {
  targetDatabase: string
  /** What the history is keyed by: this server's identity and the database name. */
  target: TargetIdentity
  /** Who migrates this database; while the chain is not adopted nothing is pending. */
  management: ChainManagement
  migrations: MigrationStatus[]
  pending: string[]
  lastApplied: string | null
  /** Edited migrations nobody acknowledged: apply is blocked while there are any. */
  blockingEdits: string[]
}

export const OUTSIDE = 'outside the dashboard'

function collisions(defs: MigrationDef[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>()
  for (const d of defs) {
    for (const key of [d.name.toLowerCase(), 'ts:' + (d.name.match(/^\d{8}_\d{6}/)?.[0] ?? d.name)]) {
      byKey.set(key, [...(byKey.get(key) ?? []), d.name])
    }
  }
  const out = new Map<string, string[]>()
  for (const names of byKey.values()) {
    if (names.length < 2) continue
    for (const n of names) out.set(n, names.filter((x) => x !== n))
  }
  return out
}

export async function currentDatabase(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db)
  return rows[0].name
}

/**
 * Every migration of the code and of the database with its state and what is wrong with it:
 * edited after apply, missing from the code, pending but older than the newest applied one,
 * a name that collides with another, no working down.
 */
export async function migrationStatus(target: Kysely<any>, state: StateDb, set: MigrationSet): Promise<MigrationsOverview> {
  const identity = await targetIdentity(target)
  const [applied, history, acks, ownTable] = await Promise.all([
    readApplied(target, set.table),
    lastApplies(state, identity.key),
    acknowledgedChecksums(state, identity.key),
    sql<{ present: boolean }>`select to_regclass(${set.table}) is not null as present`.execute(target),
  ])
  const management = await chainManagement(target, state, {
    targetKey: identity.key,
    ownTable: set.table,
    ownTablePresent: ownTable.rows[0].present,
  })
  const appliedByName = new Map(applied.map((a) => [a.name, a]))
  const known = new Set(set.defs.map((d) => d.name))
  const lastApplied = applied.length ? applied[applied.length - 1].name : null
  const collide = collisions(set.defs)
  const blockingEdits: string[] = []

  const rows: MigrationStatus[] = set.defs.map((d) => {
    const a = appliedByName.get(d.name)
    const h = a ? history.get(d.name) : undefined
    const flags: MigrationFlag[] = []
    if (a && h?.checksum && d.checksum && h.checksum !== d.checksum && !acks.has(`${d.name}\n${d.checksum}`)) {
      blockingEdits.push(d.name)
      flags.push({
        code: 'edited_after_apply',
        message: 'Its source changed after it was applied.',
        advice:
          'Restore the file from version control, or put the change in a new migration. If the edit is intended (a comment, a fix that does not change the schema), an admin acknowledges it; until then apply is blocked.',
      })
    }
    if (d.loadError) {
      flags.push({
        code: d.loadError.code,
        message: d.loadError.message,
        advice: a
          ? `Restore the file from version control${d.loadError.code === 'load_failed' ? ' or fix it' : ''}: without it this migration cannot be rolled back, and rehearsals and replays of the chain fail.`
          : `Restore the file from version control${d.loadError.code === 'load_failed' ? ' or fix it' : ''}, or, if the migration was abandoned, remove its entry from migrations/index.ts and run npm run migrations:manifest. It cannot be applied until then.`,
      })
    }
    if (d.manifestChecksum !== undefined) {
      flags.push({
        code: 'manifest_stale',
        message: `migrations/manifest.ts records another checksum (${d.manifestChecksum ? d.manifestChecksum.slice(0, 12) : 'none'}) than the file has (${d.checksum?.slice(0, 12)}).`,
        advice:
          'The file changed and the manifest was not regenerated: run `npm run migrations:manifest` and commit it. Builds without the source files rely on the manifest alone.',
      })
    }
    if (!a && lastApplied && d.name < lastApplied) {
      flags.push({
        code: 'out_of_order',
        message: `Pending, but older than the newest applied migration (${lastApplied}).`,
        advice:
          'It was probably merged from a parallel branch. Rename it with a newer timestamp so it runs after the others, after checking it does not depend on their order.',
      })
    }
    const others = collide.get(d.name)
    if (others) {
      flags.push({
        code: 'name_collision',
        message: `Its name or timestamp collides with ${others.join(', ')}.`,
        advice: 'Give one of them a new, unique timestamp; otherwise their order depends on the file system and tools disagree.',
      })
    }
    if (d.irreversibleReason && !d.loadError) {
      flags.push({
        code: 'no_down',
        message: `Cannot be rolled back: ${d.irreversibleReason}.`,
        advice: 'Take a backup before applying it; to undo it, restore the backup or write a new migration.',
      })
    }
    return {
      name: d.name,
      state: a ? 'applied' : management.chainAdopted ? 'pending' : 'not_adopted',
      appliedAt: a?.appliedAt ?? null,
      appliedBy: a ? (h?.by ?? OUTSIDE) : null,
      durationMs: h?.durationMs ?? null,
      baseline: !!a && !!h?.baseline,
      checksum: d.checksum,
      appliedChecksum: h?.checksum ?? null,
      transactional: d.transactional,
      irreversibleReason: d.irreversibleReason,
      flags,
    }
  })

  for (const a of applied) {
    if (known.has(a.name)) continue
    const h = history.get(a.name)
    rows.push({
      name: a.name,
      state: 'applied',
      appliedAt: a.appliedAt,
      appliedBy: h?.by ?? OUTSIDE,
      durationMs: h?.durationMs ?? null,
      baseline: !!h?.baseline,
      checksum: null,
      appliedChecksum: h?.checksum ?? null,
      transactional: true,
      irreversibleReason: 'its code is missing',
      flags: [
        {
          code: 'missing_from_code',
          message: 'Recorded as applied in the database, but not in the code.',
          advice:
            'Someone applied it from another branch or deleted the file. Bring the file back into migrations/ (and the static index), or, if it was abandoned, remove its row from the migration table after checking the schema.',
        },
      ],
    })
  }
  rows.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
  return {
    targetDatabase: identity.database,
    target: identity,
    management,
    migrations: rows,
    pending: rows.filter((r) => r.state === 'pending').map((r) => r.name),
    lastApplied,
    blockingEdits,
  }
}
