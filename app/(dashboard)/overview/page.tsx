import { Suspense } from 'react'
import { requireUser } from '@/lib/auth/current-user'
import { AttentionList } from './_components/attention-list'
import { BackupCard } from './_components/backup-card'
import { DayCharts } from './_components/day-charts'
import { DorTablesCard } from './_components/dor-tables-card'
import { ServerCards } from './_components/server-cards'
import { CardsSkeleton, TableSkeleton } from '@/components/skeletons'

export default async function OverviewPage({ searchParams }: { searchParams: Promise<{ denied?: string }> }) {
  await requireUser()
  const { denied } = await searchParams
  return (
    <>
      <h1>Overview</h1>
      {denied ? <div className="banner warn">Your role may not open that page.</div> : null}
      <Suspense fallback={<CardsSkeleton count={1} />}>
        <AttentionList />
      </Suspense>
      <Suspense fallback={<CardsSkeleton count={4} />}>
        <ServerCards />
      </Suspense>
      <Suspense fallback={<CardsSkeleton count={1} />}>
        <DayCharts />
      </Suspense>
      <Suspense fallback={<CardsSkeleton count={1} />}>
        <BackupCard />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={5} />}>
        <DorTablesCard />
      </Suspense>
    </>
  )
}
