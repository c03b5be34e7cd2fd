import Link from 'next/link'
import { Suspense } from 'react'
import { TableSkeleton } from '@/components/skeletons'
import { requireUser } from '@/lib/auth/current-user'
import { EnumSection } from '../_components/enum-table'
import { SequenceSection } from '../_components/sequence-table'

export default async function SchemaTypesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}) {
  await requireUser('dashboard.read')
  const includeSystem = (await searchParams).system === '1'
  return (
    <>
      <p className="muted" style={{ marginBottom: 4 }}>
        <Link href="/schema">Schema</Link> ›
      </p>
      <h1>Types and sequences</h1>
      <p className="muted">
        {includeSystem ? (
          <>
            Including system schemas. <Link href="/schema/types">Hide them</Link>
          </>
        ) : (
          <>
            User schemas only. <Link href="/schema/types?system=1">Show system schemas too</Link>
          </>
        )}
      </p>
      <Suspense fallback={<TableSkeleton rows={4} />}>
        <EnumSection includeSystem={includeSystem} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={4} />}>
        <SequenceSection includeSystem={includeSystem} />
      </Suspense>
    </>
  )
}
