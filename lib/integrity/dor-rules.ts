import { type Kysely, type RawBuilder, sql } from 'kysely'
import { type Finding, finding } from './findings'
import { inPairs } from './in-pairs'
import { findTable, type liveColumns } from './live-columns'

type Tables = Awaited<ReturnType<typeof liveColumns>>

interface DorRule {
  key: string
  title: string
  tables: string[]
  columns: string[]
  /** Type categories the columns must have for the rule to mean anything (see findTable). */
  kinds?: Record<string, string>
  advice: string
  /** Rows of the table (alias t) that break the rule. */
  violation: (t: { schema: string; table: string }, tables: Tables) => RawBuilder<boolean> | null
}

const col = (name: string) => sql.id('t', name)

/** The checks of the DoR runbook: scheduling, the registration workflow, upload metadata. */
export const DOR_RULES: DorRule[] = [
  {
    key: 'meeting_ends_before_start',
    title: 'Meetings that end before they start',
    tables: ['meeting', 'meetings'],
    columns: ['start_time', 'end_time'],
    kinds: { start_time: 'D', end_time: 'D' },
    advice: 'Calendars show these wrongly; correct the times.',
    violation: () => sql<boolean>`${col('end_time')} < ${col('start_time')}`,
  },
  {
    key: 'processed_request_without_processor',
    title: 'Approved or rejected registration requests with no processed_by',
    tables: ['registration_request', 'registrationrequest'],
    columns: ['status', 'processed_by'],
    advice: 'Nobody is accountable for these decisions; set processed_by from the audit trail of the app.',
    violation: () => sql<boolean>`lower(${col('status')}::text) in ('approved', 'rejected') and ${col('processed_by')} is null`,
  },
  {
    key: 'pending_request_username_taken',
    title: 'Pending registration requests whose username already belongs to a user',
    tables: ['registration_request', 'registrationrequest'],
    columns: ['status', 'username'],
    advice: 'Approving them would fail or create a duplicate account; reject them or ask for another username.',
    violation: (_t, tables) => {
      const users = findTable(tables, ['user', 'users'], ['username'])
      if (!users) return null
      return sql<boolean>`lower(${col('status')}::text) = 'pending' and exists (
        select 1 from ${sql.id(users.schema, users.table)} as u where lower(u.username) = lower(${col('username')}))`
    },
  },
  {
    key: 'upload_bad_metadata',
    title: 'Uploads with an empty path or a negative size',
    tables: ['fileupload', 'file_upload', 'fileuploads'],
    columns: ['filepath', 'file_size'],
    kinds: { filepath: 'S', file_size: 'N' },
    advice: 'The file cannot be served or its size is corrupt; check the files on disk and fix or delete the rows.',
    violation: () => sql<boolean>`coalesce(btrim(${col('filepath')}), '') = '' or ${col('file_size')} < 0`,
  },
]

/**
 * Each rule is one count over its table. They run two at a time: separate scans of separate
 * tables, which a second connection overlaps on a server with more than one core.
 */
export async function dorRuleChecks(db: Kysely<any>, tables: Tables): Promise<Finding[]> {
  const runnable = DOR_RULES.flatMap((rule) => {
    const t = findTable(tables, rule.tables, rule.columns, rule.kinds)
    const where = t ? rule.violation(t, tables) : null
    return t && where ? [{ rule, t, where }] : []
  })
  return inPairs(runnable, async ({ rule, t, where }) => {
    const started = Date.now()
    const base = { check: 'rule' as const, key: `rule:${rule.key}`, title: rule.title, schema: t.schema, table: t.table, columns: rule.columns, detail: { rule: rule.key } }
    try {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int8 as n from ${sql.id(t.schema, t.table)} as t where ${where}
      `.execute(db)
      const count = Number(rows[0].n)
      return finding({ ...base, count, advice: count ? rule.advice : undefined, durationMs: Date.now() - started })
    } catch (e) {
      // One rule that cannot run (a column of an unexpected type, a timeout) does not take the others with it.
      return finding({ ...base, count: null, error: (e as Error).message, durationMs: Date.now() - started })
    }
  })
}
