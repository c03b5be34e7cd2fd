import type { ReactNode } from 'react'
import { parseCheckReport } from '@/lib/migrations/check-report'
import type { DryRunMigration } from '@/lib/migrations/dry-run'
import type { RehearsalStep } from '@/lib/migrations/rehearsal'
import type { RunKind } from '@/lib/migrations/run-store'
import type { SchemaChange, SchemaDiff } from '@/lib/schema/diff'
import { DataTable } from '@/components/data-table'
import { SqlBlock } from '@/components/sql-block'
import { SchemaDiffView } from '../../schema/snapshots/_components/schema-diff-view'

// What the four checks found, drawn the same way right after a click (from the action's result)
// and in the history (from the run's stored report). No hooks: used by client and server components.

export type CheckKind = Extract<RunKind, 'dry_run' | 'rehearsal' | 'drift' | 'replay'>
export const CHECK_KINDS: readonly CheckKind[] = ['dry_run', 'rehearsal', 'drift', 'replay']

export function isCheckKind(kind: string): kind is CheckKind {
  return (CHECK_KINDS as readonly string[]).includes(kind)
}

interface ReplayOutcome {
  applied: string[]
  failed: { name: string; error: string } | null
}

function plural(n: number, word: string) {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

export function toSchemaDiff(changes: SchemaChange[]): SchemaDiff {
  const count = (c: SchemaChange['change']) => changes.filter((x) => x.change === c).length
  return { changes, summary: { added: count('added'), removed: count('removed'), changed: count('changed') } }
}

/** A parameter as it would read in SQL: strings quoted, NULL spelled out. */
function sqlValue(p: unknown): string {
  if (p === null || p === undefined) return 'NULL'
  if (typeof p === 'string') return `'${p.replaceAll("'", "''")}'`
  if (typeof p === 'number' || typeof p === 'boolean' || typeof p === 'bigint') return String(p)
  try {
    return JSON.stringify(p) ?? String(p)
  } catch {
    return String(p)
  }
}

function statementText(s: DryRunMigration['statements'][number]): string {
  const params = s.parameters.length
    ? `\n-- parameters: ${s.parameters.map((p, i) => `$${i + 1} = ${sqlValue(p)}`).join(', ')}`
    : ''
  return `${s.sql};${params}`
}

export function DryRunReport({ migrations }: { migrations: DryRunMigration[] }) {
  return (
    <div className="check-report-body" data-testid="dry-run-report">
      <p className="muted small">
        Nothing was changed: the migrations ran in one transaction that was rolled back at the end.
      </p>
      {migrations.length === 0 ? <p className="muted">No migration was planned.</p> : null}
      {migrations.map((m) => (
        <div className="dry-run-migration" key={m.name} data-migration={m.name}>
          <div className="dry-run-name">
            <span className="mono">{m.name}</span>{' '}
            {m.skipped ? (
              <span className="badge warn">skipped</span>
            ) : m.error ? (
              <span className="badge bad">failed</span>
            ) : (
              <span className="badge ok">{plural(m.statements.length, 'statement')}</span>
            )}
          </div>
          {m.skipped ? <p className="muted small">Not run: {m.skipped}.</p> : null}
          {m.statements.length ? (
            <SqlBlock sql={m.statements.map(statementText).join('\n\n')} label={`SQL of ${m.name}`} testId="dry-run-sql" wrap />
          ) : !m.skipped && !m.error ? (
            <p className="muted small">It executed no statements.</p>
          ) : null}
          {m.error ? (
            <>
              <p className="small check-fail-note">{m.statements.length ? 'The last statement failed:' : 'It failed:'}</p>
              <pre className="run-error">{m.error}</pre>
            </>
          ) : null}
        </div>
      ))}
    </div>
  )
}

function YesNo({ value, yes, no }: { value: boolean | null; yes: string; no: string }) {
  if (value === null) return <span className="muted">–</span>
  return value ? <span className="badge ok">✓ {yes}</span> : <span className="badge bad">✗ {no}</span>
}

export function RehearsalReport({ steps }: { steps: RehearsalStep[] }) {
  if (steps.length === 0) return <p className="muted">No pending migration to rehearse.</p>
  return (
    <div className="check-report-body" data-testid="rehearsal-report">
      <p className="muted small">
        On a scratch copy of the schema (dropped afterwards): each pending migration went up, down, and up again.
      </p>
      <DataTable
        label="Rollback test per migration"
        className="rehearsal"
        rows={steps}
        rowKey={(s) => s.name}
        rowProps={(s) => ({ 'data-migration': s.name })}
        empty="No pending migration to rehearse."
        columns={[
          { key: 'name', label: 'Migration', value: (s) => s.name, mono: true },
          {
            key: 'down',
            label: 'Down restores the schema',
            span: (s) => (s.skipped || (s.error && s.downRestores === null) ? 2 : 1),
            cell: (s) =>
              s.skipped ? (
                <>
                  <span className="badge warn">skipped</span> <span className="muted">{s.skipped}</span>
                </>
              ) : s.error && s.downRestores === null ? (
                <>
                  <span className="badge bad">✗ stopped</span> <span className="muted">before both could be compared (below)</span>
                </>
              ) : (
                <span data-testid="down-restores">
                  <YesNo value={s.downRestores} yes="restores" no="differs" />
                </span>
              ),
          },
          {
            key: 'up',
            label: 'Up repeats',
            cell: (s) => (
              <span data-testid="up-repeats">
                <YesNo value={s.upRepeats} yes="repeats" no="differs" />
              </span>
            ),
          },
        ]}
      />
      {steps.map((s) => (
        <div key={s.name}>
          {s.error ? (
            <>
              <p className="small check-fail-note">
                <span className="mono">{s.name}</span> stopped the rehearsal:
              </p>
              <pre className="run-error">{s.error}</pre>
            </>
          ) : null}
          {s.downDiff.length ? (
            <SchemaDiffView diff={toSchemaDiff(s.downDiff)} from={`before ${s.name}`} to="after its down" />
          ) : null}
          {s.upAgainDiff.length ? (
            <SchemaDiffView diff={toSchemaDiff(s.upAgainDiff)} from="after the first up" to="after down and up again" />
          ) : null}
        </div>
      ))}
    </div>
  )
}

function FailedReplay({ failed, applied, intro }: ReplayOutcome & { failed: NonNullable<ReplayOutcome['failed']>; intro: string }) {
  return (
    <>
      <p>
        {intro} <span className="mono">{failed.name}</span>
        {applied.length ? `, after ${plural(applied.length, 'migration')} that replayed` : ''}:
      </p>
      <pre className="run-error" data-testid="replay-error">
        {failed.error}
      </pre>
    </>
  )
}

export function DriftReport({ replay, changes }: { replay: ReplayOutcome; changes: SchemaChange[] }) {
  return (
    <div className="check-report-body" data-testid="drift-report">
      {replay.failed ? (
        <FailedReplay {...replay} failed={replay.failed} intro="The applied migrations do not replay on a scratch database, so there is nothing to compare with. First failing:" />
      ) : (
        <SchemaDiffView diff={toSchemaDiff(changes)} from="expected from the applied migrations" to="live schema" />
      )}
    </div>
  )
}

export function ReplayReport({ applied, failed }: ReplayOutcome) {
  return (
    <div className="check-report-body" data-testid="replay-report">
      {failed ? <FailedReplay applied={applied} failed={failed} intro="First failing migration:" /> : null}
      {applied.length ? (
        <details className="replayed">
          <summary>{plural(applied.length, 'migration')} replayed on the empty database</summary>
          <ol className="plan">
            {applied.map((n) => (
              <li key={n} className="mono">
                {n}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </div>
  )
}

/** One line for the history: what the check found. */
export function checkSummary(kind: CheckKind, report: unknown): string {
  switch (kind) {
    case 'dry_run': {
      const ms = parseCheckReport(kind, report).migrations
      const failed = ms.find((m) => m.error)
      const skipped = ms.filter((m) => m.skipped).length
      const statements = ms.reduce((n, m) => n + m.statements.length, 0)
      return [
        `${plural(ms.length, 'migration')}, ${plural(statements, 'statement')}`,
        failed ? `${failed.name} failed` : null,
        skipped ? `${skipped} skipped` : null,
      ]
        .filter(Boolean)
        .join(', ')
    }
    case 'rehearsal': {
      const steps = parseCheckReport(kind, report).steps
      if (steps.length === 0) return 'nothing pending'
      const bad = steps.filter((s) => !s.ok).map((s) => s.name)
      const skipped = steps.filter((s) => s.skipped).length
      return [
        `${plural(steps.length, 'migration')} rehearsed`,
        bad.length ? `problems in ${bad.join(', ')}` : 'each down restores',
        skipped ? `${skipped} skipped` : null,
      ]
        .filter(Boolean)
        .join(', ')
    }
    case 'drift': {
      const { replay, changes } = parseCheckReport(kind, report)
      if (replay.failed) return `not comparable: ${replay.failed.name} does not replay`
      const n = changes.length
      return n === 0 ? 'no drift' : `${plural(n, 'difference')} from the migrations`
    }
    case 'replay': {
      const r = parseCheckReport(kind, report)
      return r.failed
        ? `fails at ${r.failed.name} after ${plural(r.applied.length, 'migration')}`
        : `${plural(r.applied.length, 'migration')} replay from empty`
    }
  }
}

/** What a stored report shows: the full result of its check. */
function storedReportBody(kind: CheckKind, report: unknown) {
  switch (kind) {
    case 'dry_run':
      return <DryRunReport migrations={parseCheckReport(kind, report).migrations} />
    case 'rehearsal':
      return <RehearsalReport steps={parseCheckReport(kind, report).steps} />
    case 'drift': {
      const { replay, changes } = parseCheckReport(kind, report)
      return <DriftReport replay={replay} changes={changes} />
    }
    case 'replay':
      return <ReplayReport {...parseCheckReport(kind, report)} />
  }
}

/** A check's stored report in the history: a one-line summary that opens to the full result. */
export function StoredCheckReport({ kind, report }: { kind: CheckKind; report: unknown }) {
  if (report === null || report === undefined) return <span className="muted">no report</span>
  let summary: string
  let body: ReactNode
  try {
    summary = checkSummary(kind, report)
    body = storedReportBody(kind, report)
  } catch (e) {
    return <span className="muted">{e instanceof Error ? e.message : String(e)}</span>
  }
  return (
    <details className="check-report" data-testid="check-report">
      <summary>{summary}</summary>
      {body}
    </details>
  )
}
