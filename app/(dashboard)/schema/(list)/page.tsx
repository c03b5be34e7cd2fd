import Link from 'next/link'
import { Suspense } from 'react'
import { TableSkeleton } from '@/components/skeletons'
import { requireUser } from '@/lib/auth/current-user'
import { parseListParams } from '../_components/list-params'
import { RelationFilterForm, schemaNames } from '../_components/relation-filter-form'
import { RelationTable } from '../_components/relation-table'

export default async function SchemaPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}) {
  await requireUser('dashboard.read')
  const params = parseListParams(await searchParams)
  // One small catalog query; the form is rendered once, so nothing typed into it is replaced.
  const schemas = await schemaNames(!!params.system)
  const filterKey = JSON.stringify(params)
  return (
    <>
      <h1>Schema</h1>
      <p className="muted">
        Tables, views and their columns in the managed database. Enum types and sequences are on{' '}
        <Link href="/schema/types">Types and sequences</Link>; earlier versions of the schema on{' '}
        <Link href="/schema/snapshots">Snapshots</Link>.
      </p>
      <RelationFilterForm key={`form ${filterKey}`} params={params} schemas={schemas} />
      <Suspense key={`list ${filterKey}`} fallback={<TableSkeleton rows={12} />}>
        <RelationTable params={params} />
      </Suspense>
    </>
  )
}
