import type { Kysely } from 'kysely'
import { qualifiedName, quoteIdent } from '../format/sql-ident'
import { toSequence } from '../schema/catalog'
import { querySequences } from '../schema/catalog-types-queries'
import type { SequenceInfo } from '../schema/types'
import { THRESHOLDS } from './thresholds'

/** A sequence past the danger share of its range: pghero's sequence_danger, with the SQL to widen it. */
export interface SequenceDanger extends SequenceInfo {
  qualifiedName: string
  /** What to run: widen the owning column and the sequence to bigint; null when it is bigint already. */
  sql: string | null
  advice: string
}

export interface SequenceReport {
  /** Past THRESHOLDS.sequenceUseShare, fullest first. */
  danger: SequenceDanger[]
  /** Sequences whose value this login may read (and that were used at least once). */
  checked: number
  /** The fullest readable sequence, whatever its share: the page says how close the nearest one is. */
  fullest: { qualifiedName: string; usedShare: number } | null
  /** Sequences whose last value this login may not see: pg_sequence_last_value needs USAGE or SELECT. */
  hidden: string[]
}

const BIGINT_MAX = 9223372036854775807n

function advise(s: SequenceInfo): Pick<SequenceDanger, 'sql' | 'advice'> {
  const seq = qualifiedName(s.schema, s.name)
  const left = s.increment > 0 ? s.maxValue - (s.lastValue ?? 0) : (s.lastValue ?? 0) - s.minValue
  const runsOut = `${Math.max(0, Math.floor(left / Math.abs(s.increment || 1)))} values are left before nextval() fails and inserts stop`
  if (s.dataType === 'bigint' || BigInt(s.maxValue) >= BIGINT_MAX) {
    return {
      sql: null,
      advice: `${runsOut}. It is bigint already, so its type cannot grow: find what consumes it this fast (large INSERT … ON CONFLICT batches and rolled-back inserts use values too).`,
    }
  }
  const column = s.ownedBy ? `ALTER TABLE ${qualifiedName(s.ownedBy.schema, s.ownedBy.table)} ALTER COLUMN ${quoteIdent(s.ownedBy.column)} TYPE bigint;\n` : ''
  return {
    sql: `${column}ALTER SEQUENCE ${seq} AS bigint${s.increment > 0 ? ' MAXVALUE 9223372036854775807' : ' MINVALUE -9223372036854775808'};`,
    advice: s.ownedBy
      ? `${runsOut}. Widen ${s.ownedBy.table}.${s.ownedBy.column} and its sequence to bigint: ALTER COLUMN … TYPE rewrites the table under an exclusive lock (plan a maintenance window for a large table), and columns referencing it need the same change.`
      : `${runsOut}. Widen it to bigint, with every column its values go into.`,
  }
}

/**
 * pghero's "sequence danger" on the schema catalogue's own sequence query (lib/schema), so the
 * Tables page, the schema browser and the alert read the same facts. A login without USAGE or
 * SELECT on a sequence does not see its value: those are listed as hidden, never as safe.
 */
export async function readSequenceDanger(db: Kysely<any>): Promise<SequenceReport> {
  const rows = await querySequences(db, false)
  const hidden: string[] = []
  const used: SequenceInfo[] = []
  for (const r of rows) {
    if (!r.readable) hidden.push(qualifiedName(r.schema, r.name))
    else if (!r.cycle) {
      const s = toSequence(r)
      if (s.usedShare !== null) used.push(s)
    }
  }
  used.sort((a, b) => (b.usedShare ?? 0) - (a.usedShare ?? 0))
  const danger = used
    .filter((s) => (s.usedShare ?? 0) >= THRESHOLDS.sequenceUseShare.value)
    .map((s) => ({ ...s, qualifiedName: qualifiedName(s.schema, s.name), ...advise(s) }))
  const top = used[0]
  return {
    danger,
    checked: used.length,
    fullest: top ? { qualifiedName: qualifiedName(top.schema, top.name), usedShare: top.usedShare ?? 0 } : null,
    hidden,
  }
}
