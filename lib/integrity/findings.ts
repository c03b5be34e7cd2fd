import type { IntegrityRelation } from './types'

export type CheckName =
  | 'orphans'
  | 'not_valid_foreign_key'
  | 'not_valid_check'
  | 'invalid_index'
  | 'missing_primary_key'
  | 'unindexed_foreign_key'
  | 'sequence_near_limit'
  | 'enum_definition'
  | 'enum_case_duplicates'
  | 'unused_enum'
  | 'enum_values'
  | 'role_counts'
  | 'role_without_users'
  | 'role_not_allowed'
  | 'duplicate_identity'
  | 'rule'

/**
 * One result of one check. Relation checks fill the reference fields; `count` is the number of
 * offending rows (or objects), 0 when all is well; `values` lists offending distinct values.
 */
export interface Finding {
  check: CheckName
  /** Stable identity across runs (for history and trends). */
  key: string
  title: string
  schema: string | null
  table: string | null
  columns: string[]
  refSchema: string | null
  refTable: string | null
  refColumns: string[]
  count: number | null
  values?: string[]
  source?: IntegrityRelation['source']
  /** Extra facts for the page (constraint name, a per-role breakdown, whether Validate would succeed…). */
  detail?: Record<string, unknown>
  /** What to do about it, when count > 0. */
  advice?: string
  /** The exact statements the advice means (lib/integrity/advice-sql.ts), for people to read and copy. */
  sql?: string
  /** The check could not run (timeout, permission); count is null then. */
  error?: string
  /** What the check ran without (e.g. objects this role may not read): shown whatever the count. */
  note?: string
  durationMs?: number
}

export function finding(f: Omit<Finding, 'columns' | 'refColumns' | 'refSchema' | 'refTable' | 'schema' | 'table'> & Partial<Finding>): Finding {
  return {
    schema: null,
    table: null,
    columns: [],
    refSchema: null,
    refTable: null,
    refColumns: [],
    ...f,
  } as Finding
}

/** The JSON shape of `dbadmin integrity --json` for one finding. */
export function findingJson(f: Finding) {
  return {
    check: f.check,
    schema: f.schema,
    table: f.table,
    columns: f.columns,
    refSchema: f.refSchema,
    refTable: f.refTable,
    refColumns: f.refColumns,
    count: f.count,
    source: f.source ?? null,
    ...(f.values ? { values: f.values } : {}),
    title: f.title,
    ...(f.detail ? { detail: f.detail } : {}),
    ...(f.error ? { error: f.error } : {}),
    ...(f.note ? { note: f.note } : {}),
  }
}

export function hasProblem(f: Pick<Finding, 'count' | 'error'>): boolean {
  return (f.count ?? 0) > 0 || !!f.error
}

/**
 * What a results table lists: problems first, otherwise the run's order, at most `limit` rows;
 * `hidden` is how many were left out.
 */
export function rowsToShow<F extends Pick<Finding, 'count' | 'error'>>(findings: F[], limit: number): { rows: F[]; hidden: number } {
  const sorted = [...findings].sort((a, b) => Number(hasProblem(b)) - Number(hasProblem(a)))
  const rows = sorted.slice(0, Math.max(limit, 0))
  return { rows, hidden: sorted.length - rows.length }
}
