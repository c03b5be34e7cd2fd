import { Suspense } from 'react'
import { TableSkeleton } from '@/components/skeletons'
import { requireUser } from '@/lib/auth/current-user'
import { ActiveAlerts } from './_components/active-alerts'
import { AlertHistory } from './_components/alert-history'
import { ChannelsPanel } from './_components/channels-panel'
import { RulesTable } from './_components/rules-table'

/**
 * Alerts of the managed database: what fires now and what to do, the rules with their thresholds,
 * where notifications go, and the history. Everything is read from the state database (the sampler
 * job judges the rules), so the page never waits on the managed database.
 */
export default async function AlertsPage({ searchParams }: { searchParams: Promise<{ page?: string }> }) {
  const user = await requireUser('dashboard.read')
  const page = Number((await searchParams).page ?? 1) || 1
  return (
    <>
      <h1>Alerts</h1>
      <Suspense fallback={<TableSkeleton rows={3} />}>
        <ActiveAlerts user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={8} />}>
        <RulesTable user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={2} />}>
        <ChannelsPanel user={user} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={5} />}>
        <AlertHistory page={page} />
      </Suspense>
    </>
  )
}
