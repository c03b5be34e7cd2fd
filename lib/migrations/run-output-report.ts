import { z } from 'zod'
import { parseWith, schemaChange } from './check-report'
import type { RunKind } from './run-store'

// What the history shows of a baseline's or an Alembic run's stored report (`migration_run.report`):
// Alembic's output, the SQL of its dry run, the differences a baseline accepted or was refused for.
// Each kind writes only some of them, and a running run has no report yet: absent reads as nothing.
const runOutputReport = z.object({
  output: z.string().optional(),
  sql: z.string().optional(),
  differences: z.array(schemaChange).default([]),
})

export type RunOutputReport = z.output<typeof runOutputReport>

/** A baseline's or an Alembic run's stored report; throws an AppError naming what is wrong when it is malformed. */
export function parseRunOutputReport(kind: RunKind, report: unknown): RunOutputReport {
  return parseWith(runOutputReport, report ?? {}, kind === 'baseline' ? 'baseline report' : 'Alembic run report')
}
