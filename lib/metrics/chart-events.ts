import { sql } from 'kysely'
import type { StateDb } from '../state/state-db'

/** Something that happened to the target, drawn as a marker on the Health page's time axis. */
export interface ChartEvent {
  at: Date
  kind: 'migration' | 'fix' | 'backup' | 'alert'
  /** One line for the marker's tooltip and the page's list. */
  label: string
  /** Whether it went wrong (a failed backup, an alert firing). */
  bad: boolean
}

/**
 * Migrations applied or rolled back, orphan fixes, backups and alerts that fired on a target in
 * [from, to], oldest first, at most `limit` (the newest kept).
 */
export async function readChartEvents(state: StateDb, targetKey: string, from: Date, to: Date, limit = 200): Promise<ChartEvent[]> {
  const { rows } = await sql<{ at: Date; kind: ChartEvent['kind']; label: string; bad: boolean }>`
    select * from (
      select finished_at as at, 'migration' as kind,
             case when kind = 'apply' then 'Migrations applied' else 'Migration rolled back' end || ' (run #' || id || ')' as label, false as bad
      from migration_run
      where target_key = ${targetKey} and kind in ('apply', 'rollback') and status = 'succeeded' and finished_at between ${from} and ${to}
      union all
      select finished_at, 'fix', case when kind = 'fix' then 'Orphan fix' else 'Fix restored' end || ' on ' || "schema" || '.' || "table" || ' (' || changed || ' rows)', false
      from integrity_fix
      where target_key = ${targetKey} and status = 'succeeded' and finished_at between ${from} and ${to}
      union all
      select finished_at, 'backup', 'Backup #' || job_no || ' ' || status, status <> 'succeeded'
      from backup
      where target_key = ${targetKey} and status in ('succeeded', 'failed') and finished_at between ${from} and ${to}
      union all
      select at, 'alert', 'Alert firing: ' || message, true
      from alert_event
      where target_key = ${targetKey} and kind = 'firing' and at between ${from} and ${to}
    ) e
    order by at desc
    limit ${limit}
  `.execute(state)
  return rows.reverse()
}
