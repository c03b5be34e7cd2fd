import { Suspense } from 'react'
import { RoleNote } from '@/components/role-note'
import { TableSkeleton } from '@/components/skeletons'
import { requireUser } from '@/lib/auth/current-user'
import { FindingsView } from '../_components/findings-view'
import { RunHeader } from '../_components/run-header'
import { EnumSetsPanel } from '../_components/enum-sets-panel'
import { FixesPanel } from '../_components/fixes-panel'
import { RoleRulesPanel } from '../_components/role-rules-panel'
import { RulesPanel } from '../_components/rules-panel'
import { RunHistory } from '../_components/run-history'
import { SoftRelationsPanel } from '../_components/soft-relations-panel'

function runParam(value: string | string[] | undefined): number | null {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : null
}

export default async function IntegrityPage({ searchParams }: { searchParams: Promise<{ run?: string | string[]; all?: string | string[] }> }) {
  const user = await requireUser('dashboard.read')
  const params = await searchParams
  const run = runParam(params.run)
  return (
    <>
      <h1>Integrity</h1>
      <p className="muted">
        Orphans per foreign key and soft relation, NOT VALID constraints, indexes and sequences, enums, roles and the DoR
        rules. A run checks one thing after another in the background, each under its own statement timeout; this page
        follows it. <a href="#soft-relations">Soft relations</a> · <a href="#value-sets">Value sets</a> · <a href="#role-rules">Role rules</a> · <a href="#your-rules">Your rules</a> · <a href="#dor-rules">DoR rules</a> · <a href="#history">Run history</a> · <a href="#fixes">Fixes</a>
      </p>
      <Suspense fallback={null}>
        <RoleNote
          uses={[
            { what: 'Checks read', capability: 'backup' },
            { what: 'your rules run', capability: 'rule_reader' },
            { what: 'fixes, restores and validations change data', capability: 'migrator' },
          ]}
        />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={2} />}>
        <RunHeader user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={8} />}>
        <FindingsView user={user} requestedRun={run} showAll={params.all === '1'} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={4} />}>
        <SoftRelationsPanel user={user} showAll={params.all === '1'} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={3} />}>
        <EnumSetsPanel user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={3} />}>
        <RoleRulesPanel user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={3} />}>
        <RulesPanel user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={4} />}>
        <RunHistory shownRun={run} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={3} />}>
        <FixesPanel user={user} />
      </Suspense>
    </>
  )
}
