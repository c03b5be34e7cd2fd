import { notFound } from 'next/navigation'
import { Suspense } from 'react'
import { TableSkeleton } from '@/components/skeletons'
import { WidgetError } from '@/components/widget-error'
import { requireUser } from '@/lib/auth/current-user'
import { can } from '@/lib/auth/permissions'
import { targetDb } from '@/lib/db/server-dbs'
import { type RelationDetail, readRelationDetail } from '@/lib/schema/relation-detail'
import { DdlBlock } from '../_components/ddl-block'
import { isTableKind } from '../_components/kind-label'
import { firstValues } from '../_components/list-params'
import { PreviewSection } from '../_components/preview-section'
import { DeleteImpactSection, RelationshipSection } from '../_components/relationship-sections'
import { ColumnsSection, KeysSection } from '../_components/table-columns'
import { ForeignKeysSection } from '../_components/table-foreign-keys'
import { TableHeader } from '../_components/table-header'
import { IndexesSection, TriggersSection } from '../_components/table-indexes'

/**
 * One table (or view) at /schema/table?schema=…&name=…: the names travel as query parameters so
 * that any name round-trips. Reads this relation only, plus the foreign key graph in one query.
 * No loading.tsx here (and the list page's sits in its own route group): that one query finishes
 * before anything streams, so an unknown table answers HTTP 404, not a 200 whose body says so.
 */
export default async function TablePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}) {
  const user = await requireUser('dashboard.read')
  const { schema, name } = firstValues(await searchParams)
  if (!schema || !name || schema.length > 200 || name.length > 200) notFound()

  let detail: RelationDetail | null
  try {
    detail = await readRelationDetail(targetDb(), schema, name)
  } catch (e) {
    return (
      <>
        <h1>
          <span className="muted">{schema}.</span>
          {name}
        </h1>
        <WidgetError title="Table" error={e} />
      </>
    )
  }
  if (!detail) notFound()
  const { relation, incoming } = detail
  // Views have no keys or foreign keys: their sections are left out rather than shown empty.
  const hasKeys = isTableKind(relation.kind) || !!relation.primaryKey || relation.constraints.length > 0
  const hasForeignKeys = isTableKind(relation.kind) || relation.foreignKeys.length > 0 || incoming.length > 0

  return (
    <div className="table-page">
      <TableHeader relation={relation} withKeys={hasKeys} withRelationships={hasForeignKeys} />
      <ColumnsSection relation={relation} />
      {hasKeys ? <KeysSection relation={relation} /> : null}
      {hasForeignKeys ? <ForeignKeysSection outgoing={relation.foreignKeys} incoming={incoming} /> : null}
      <IndexesSection relation={relation} />
      <TriggersSection relation={relation} />
      {hasForeignKeys ? (
        <>
          <Suspense fallback={<TableSkeleton rows={4} />}>
            <RelationshipSection schema={relation.schema} table={relation.name} />
          </Suspense>
          <Suspense fallback={<TableSkeleton rows={3} />}>
            <DeleteImpactSection schema={relation.schema} table={relation.name} />
          </Suspense>
        </>
      ) : null}
      <Suspense fallback={<TableSkeleton rows={6} />}>
        <DdlBlock relation={relation} />
      </Suspense>
      <Suspense fallback={<TableSkeleton rows={6} />}>
        <PreviewSection relation={relation} canReveal={can(user.role, 'data.reveal')} />
      </Suspense>
    </div>
  )
}
