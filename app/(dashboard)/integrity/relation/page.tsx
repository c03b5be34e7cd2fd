import path from 'node:path'
import Link from 'next/link'
import { notFound } from 'next/navigation'
import { Suspense } from 'react'
import { TableSkeleton } from '@/components/skeletons'
import { WidgetError } from '@/components/widget-error'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { loadConfig } from '@/lib/config'
import { dataReaderDb, stateDb, targetDb } from '@/lib/db/server-dbs'
import { formatCount } from '@/lib/format/units'
import { type FixPlan, planFix } from '@/lib/integrity/fix-orphans'
import { activeFixJob, type FixJob } from '@/lib/integrity/fix-store'
import { findCheckedRelation, relationFromQuery, relationQuery } from '@/lib/integrity/orphan-csv'
import { type OrphanSample, sampleOrphans } from '@/lib/integrity/orphans'
import { describeRelation, type IntegrityRelation } from '@/lib/integrity/types'
import { FixPanel } from '../_components/fix-panel'
import { FixesPanel } from '../_components/fixes-panel'
import { loadTarget, settleDeadJobs } from '../_components/integrity-data'
import { OrphanSampleTable } from '../_components/orphan-sample-table'

const SAMPLE_SIZE = 100

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/**
 * The orphans of one checked relation at /integrity/relation?schema=…&table=…&columns=…&refSchema=…
 * &refTable=…&refColumns=…: the count now, up to 100 samples, the CSV of all, and the admin's fix.
 * Which relation it is comes from the catalog before anything streams (no loading.tsx here, and the
 * Integrity page's sits in its own route group), so an unknown one answers HTTP 404; the count and
 * samples, which scan the table, stream in after.
 */
export default async function RelationPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser('dashboard.read')
  const params = await searchParams
  const ref = relationFromQuery((n) => first(params[n]))
  if (!ref) notFound()

  let rel: IntegrityRelation | null
  try {
    rel = await findCheckedRelation(targetDb(), stateDb(), ref)
  } catch (e) {
    return (
      <>
        <h1>Orphans in {describeRelation(ref)}</h1>
        <WidgetError title="Orphans" error={e} />
      </>
    )
  }
  if (!rel) notFound()
  const notValid = rel.source === 'foreign_key' && rel.validated === false
  return (
    <>
      <h1 className="table-title">
        Orphans in <span className="mono">{describeRelation(rel)}</span>
      </h1>
      <p className="muted">
        <span className="badge">{rel.source === 'foreign_key' ? `foreign key ${rel.name}` : rel.source}</span>{' '}
        {notValid ? <span className="badge warn">NOT VALID</span> : null} Rows of {rel.schema}.{rel.table} whose{' '}
        {rel.columns.join(', ')} is set and matches no row of {rel.refSchema}.{rel.refTable}.{' '}
        <Link href="/integrity#relations">Back to integrity</Link>
      </p>
      <Suspense fallback={<TableSkeleton rows={8} />}>
        <OrphansAndFix user={user} rel={rel} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={2} />}>
        <FixesPanel user={user} relation={rel} />
      </Suspense>
    </>
  )
}

/** The count now, the samples and the fix form: each reads the table. */
async function OrphansAndFix({ user, rel }: { user: AppUser; rel: IntegrityRelation }) {
  let plan: FixPlan
  let sample: OrphanSample
  let busy: FixJob | null
  try {
    plan = await planFix(dataReaderDb(), rel)
    sample = await sampleOrphans(dataReaderDb(), rel, plan.keyColumns, SAMPLE_SIZE)
    await settleDeadJobs()
    busy = await activeFixJob(stateDb(), (await loadTarget()).key, rel)
  } catch (e) {
    return <WidgetError title="Orphans" error={e} />
  }
  const q = relationQuery(rel)
  return (
    <>
      <section className="card integrity-section" data-testid="orphan-summary">
        <h2>
          {formatCount(plan.count)} orphan row{plan.count === 1 ? '' : 's'} now
        </h2>
        {plan.count > 0 ? (
          <p>
            <a href={`/api/integrity/orphans.csv?${q}`} download data-testid="orphans-csv">
              Download CSV
            </a>{' '}
            <span className="muted">
              — every orphan&apos;s key and reference values; columns whose names suggest a secret are masked.
            </span>
          </p>
        ) : null}
        <OrphanSampleTable sample={sample} keyColumns={plan.keyColumns} total={plan.count} />
      </section>

      {can(user.role, 'data.fix') ? (
        <section className="card integrity-section" id="fix" aria-labelledby="fix-title">
          <h2 id="fix-title">Fix…</h2>
          <FixPanel
            relation={{
              schema: rel.schema,
              table: rel.table,
              columns: rel.columns,
              refSchema: rel.refSchema,
              refTable: rel.refTable,
              refColumns: rel.refColumns,
            }}
            count={plan.count}
            canSetNull={plan.canSetNull}
            cascades={plan.cascades}
            hasPrimaryKey={plan.keyColumns.length > 0}
            backupDir={path.join(loadConfig().dataPath, 'backups')}
            busy={busy ? `${busy.kind === 'fix' ? 'Fix' : 'Restore'} #${busy.id} is running on ${busy.relation.schema}.${busy.relation.table} (started by ${busy.startedBy}): one fix or restore at a time per table.` : null}
          />
        </section>
      ) : null}
    </>
  )
}
