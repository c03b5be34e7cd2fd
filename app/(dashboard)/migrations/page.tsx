import Link from 'next/link'
import { Suspense } from 'react'
import { RoleNote } from '@/components/role-note'
import { TableSkeleton } from '@/components/skeletons'
import { requireUser } from '@/lib/auth/current-user'
import { AlembicSection } from './_components/alembic-section'
import { ChecksSection } from './_components/checks-section'
import { Leftovers } from './_components/leftovers'
import { MigrationsSection } from './_components/migrations-section'
import { OtherTools } from './_components/other-tools'
import { RunHistory } from './_components/run-history'

function beforeParam(value: string | undefined): number | undefined {
  return value && /^\d{1,15}$/.test(value) ? Number(value) : undefined
}

export default async function MigrationsPage({ searchParams }: { searchParams: Promise<{ before?: string }> }) {
  const user = await requireUser('dashboard.read')
  const beforeId = beforeParam((await searchParams).before)
  return (
    <>
      <h1>Migrations</h1>
      <p className="muted">
        The DoR-Dash migrations in the code and in the managed database. Runs hold a lock (one at a time, dashboard or
        CLI), apply each migration in its own transaction with lock and statement timeouts, and take schema snapshots
        before and after (<Link href="/schema/snapshots">compare snapshots</Link>).
      </p>
      <Suspense fallback={null}>
        <RoleNote
          uses={[
            { what: 'Migrations and their checks run', capability: 'migrator' },
            { what: 'backups before a run (pg_dump)', capability: 'backup' },
          ]}
        />
      </Suspense>
      {/* The team's own tool first, when the database has one: see lib/alembic. */}
      <Suspense fallback={<TableSkeleton rows={3} />}>
        <AlembicSection user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={6} />}>
        <MigrationsSection user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={4} />}>
        <ChecksSection user={user} />
      </Suspense>
      <Suspense fallback={null}>
        <Leftovers />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={3} />}>
        <OtherTools />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={4} />}>
        <RunHistory user={user} beforeId={beforeId} />
      </Suspense>
    </>
  )
}
