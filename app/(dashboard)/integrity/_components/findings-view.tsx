import Link from 'next/link'
import { WidgetError } from '@/components/widget-error'
import type { AppUser } from '@/lib/auth/users'
import { can } from '@/lib/auth/permissions'
import { hideRowValuesInErrors } from '@/lib/db/db-errors'
import { stateDb } from '@/lib/db/server-dbs'
import { formatCount, formatTimestamp } from '@/lib/format/units'
import { ENUM_LIKE } from '@/lib/integrity/enum-checks'
import { type Finding, hasProblem, rowsToShow } from '@/lib/integrity/findings'
import { findingTrends, getIntegrityRun, type IntegrityRun, runFindings } from '@/lib/integrity/run-store'
import { INTEGRITY_THRESHOLDS } from '@/lib/integrity/schema-checks'
import type { TrendPoint } from './charts'
import { FindingTable } from './finding-table'
import { isActive, isFinished, loadRuns, loadTarget, RUN_STATUS_BADGE } from './integrity-data'
import { RelationsTable } from './relations-table'

const TREND_RUNS = 20

interface Section {
  id: string
  title: string
  /** Finding checks shown here; the step keys are where a whole step's error lands. */
  checks: string[]
  intro: string
}

const SECTIONS: Section[] = [
  {
    id: 'constraints',
    title: 'Constraints & indexes',
    checks: ['not_valid_foreign_key', 'not_valid_check', 'invalid_index', 'missing_primary_key', 'unindexed_foreign_key', 'sequence_near_limit', 'schema'],
    intro: `Constraints added NOT VALID (with the rows that violate them), invalid indexes, tables without a primary key, foreign keys without a supporting index, and sequences past ${INTEGRITY_THRESHOLDS.sequenceUsedShare * 100} % of their range.`,
  },
  {
    id: 'enums',
    title: 'Enums',
    checks: ['enum_definition', 'enum_case_duplicates', 'unused_enum', 'enum_values', 'enums'],
    intro: `Enum types against the DoR migrations, labels differing only by case, unused types, and text columns used as an enum (at least ${ENUM_LIKE.minLabelShare * 100} % of their common values are its labels) with the values outside it.`,
  },
  {
    id: 'roles',
    title: 'Roles',
    checks: ['role_counts', 'role_without_users', 'role_not_allowed', 'duplicate_identity', 'roles'],
    intro: 'Users per role, roles nobody holds, rows owned by users whose role may not own them, and e-mails or usernames that repeat when case is ignored.',
  },
  {
    id: 'dor-rules',
    title: 'DoR rules',
    checks: ['rule', 'dor_rules'],
    intro: 'The DoR runbook: meeting scheduling, the registration workflow and upload metadata.',
  },
]

/** The run whose results the page shows: the one asked for, else the newest finished one. */
async function chooseRun(requested: number | null): Promise<IntegrityRun | null> {
  if (requested !== null) {
    const run = await getIntegrityRun(stateDb(), requested)
    return run && run.targetKey === (await loadTarget()).key ? run : null
  }
  return (await loadRuns()).find(isFinished) ?? null
}

/** Rows per table unless the page asks for all: a database with thousands of tables stays readable. */
const ROWS_SHOWN = 200

const shownRows = (findings: Finding[], all: boolean) => rowsToShow(findings, all ? Infinity : ROWS_SHOWN)


function RunSummary({ run, findings, requested }: { run: IntegrityRun; findings: Finding[]; requested: boolean }) {
  const problems = findings.filter(hasProblem).length
  return (
    <div className="integrity-summary" data-testid="results-summary" data-run-id={run.id}>
      <h2>
        Results of run #{run.id}{' '}
        <span className={`badge ${RUN_STATUS_BADGE[run.status]}`}>{run.status}</span>
      </h2>
      <p className="muted">
        Started by {run.startedBy} ({run.trigger}){run.dbRole ? ` as role ${run.dbRole}` : ''} at {formatTimestamp(run.startedAt)}
        {run.finishedAt ? `, finished ${formatTimestamp(run.finishedAt)}` : ''}. {formatCount(findings.length)} results,{' '}
        <strong>{formatCount(problems)}</strong> with a problem.{' '}
        {requested ? <Link href="/integrity">Show the latest run</Link> : null}
      </p>
      {run.status === 'cancelled' ? (
        <div className="banner warn">This run was cancelled: only the checks it finished are shown.</div>
      ) : null}
      {run.status === 'failed' ? <div className="banner bad">This run failed: {run.error ?? 'no error text'}</div> : null}
      {isActive(run) || run.status === 'interrupted' ? (
        <div className="banner warn">This run has not finished: only the checks done so far are shown.</div>
      ) : null}
    </div>
  )
}

function MoreRows({ hidden, href, what }: { hidden: number; href: string; what: string }) {
  if (hidden === 0) return null
  return (
    <p className="muted" data-testid="more-rows">
      {formatCount(hidden)} {what} not listed (problems come first). <Link href={href}>Show all</Link> or use{' '}
      <code>dbadmin integrity --json</code>.
    </p>
  )
}

/** The results of one run, grouped: relations, constraints and indexes, enums, roles, DoR rules. */
export async function FindingsView({ user, requestedRun, showAll }: { user: AppUser; requestedRun: number | null; showAll: boolean }) {
  let run: IntegrityRun | null
  let findings: Finding[]
  try {
    run = await chooseRun(requestedRun)
    findings = run ? await runFindings(stateDb(), run.id) : []
  } catch (e) {
    return <WidgetError title="Results" error={e} />
  }
  // Errors may quote row values, masked ones included: only those who may reveal data see them.
  if (!can(user.role, 'data.reveal')) {
    run = hideRowValuesInErrors(run)
    findings = hideRowValuesInErrors(findings)
  }
  if (!run) {
    return (
      <div className="card" data-testid="results-summary">
        <h2>Results</h2>
        <p className="muted">
          {requestedRun !== null
            ? `There is no run #${requestedRun} on this database.`
            : 'No finished run yet. Run all checks to see orphans, constraints, enums, roles and the DoR rules.'}
        </p>
      </div>
    )
  }
  const placed = new Set(['orphans', ...SECTIONS.flatMap((s) => s.checks)])
  const relations = shownRows(
    findings.filter((f) => f.check === 'orphans'),
    showAll,
  )
  const sections = [...SECTIONS, { id: 'other', title: 'Other', checks: [], intro: '' }].map((s) => ({
    ...s,
    ...shownRows(
      findings.filter((f) => (s.id === 'other' ? !placed.has(f.check) : s.checks.includes(f.check))),
      showAll,
    ),
  }))
  let trends: Map<string, TrendPoint[]>
  try {
    trends = await findingTrends(stateDb(), (await loadTarget()).key, [...relations.rows, ...sections.flatMap((s) => s.rows)].map((f) => f.key), TREND_RUNS)
  } catch (e) {
    return <WidgetError title="Results" error={e} />
  }
  const canValidate = can(user.role, 'maintenance.run')
  const allHref = `/integrity?${new URLSearchParams({ ...(requestedRun !== null ? { run: String(requestedRun) } : {}), all: '1' })}`
  return (
    <>
      <RunSummary run={run} findings={findings} requested={requestedRun !== null} />
      <section className="card integrity-section" id="relations" data-testid="section-relations">
        <h2>Relations</h2>
        <p className="muted">
          Every foreign key, accepted soft relation and open naming suggestion: rows whose complete reference points at
          no parent row (a NULL reference is never an orphan).
        </p>
        <RelationsTable findings={relations.rows} trends={trends} canFix={can(user.role, 'data.fix')} />
        <MoreRows hidden={relations.hidden} href={`${allHref}#relations`} what="relations without orphans" />
      </section>
      {sections.map((s) => {
        const shown = s.rows
        if (s.id === 'other' && shown.length === 0) return null
        return (
          <section key={s.id} className="card integrity-section" id={s.id} data-testid={`section-${s.id}`}>
            <h2>{s.title}</h2>
            {s.intro ? <p className="muted">{s.intro}</p> : null}
            {shown.length === 0 ? (
              <p className="muted">Nothing to check here in this database (or the run stopped before).</p>
            ) : (
              <FindingTable label={`Results: ${s.title}`} findings={shown} trends={trends} canValidate={canValidate} testId={`findings-${s.id}`} />
            )}
            <MoreRows hidden={s.hidden} href={`${allHref}#${s.id}`} what="more results" />
          </section>
        )
      })}
    </>
  )
}
