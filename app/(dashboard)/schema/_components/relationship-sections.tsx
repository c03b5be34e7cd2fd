import 'server-only'
import { cache } from 'react'
import { WidgetError } from '@/components/widget-error'
import { targetDb } from '@/lib/db/server-dbs'
import { deleteImpact, type ForeignKeyEdge, neighbours, readForeignKeyGraph } from '@/lib/schema/delete-impact'
import { DeleteImpactTree } from './delete-impact-tree'
import { RelationshipDiagram } from './relationship-diagram'

/** The database's foreign key graph, read once per request however many sections use it. */
const foreignKeyGraph = cache((): Promise<ForeignKeyEdge[]> => readForeignKeyGraph(targetDb()))

export async function RelationshipSection({ schema, table }: { schema: string; table: string }) {
  let edges: ForeignKeyEdge[]
  try {
    edges = neighbours(await foreignKeyGraph(), schema, table)
  } catch (e) {
    return <WidgetError title="Relationships" error={e} />
  }
  return (
    <section className="card" id="relationships" aria-labelledby="relationships-title">
      <h2 id="relationships-title">Relationships</h2>
      <RelationshipDiagram edges={edges} schema={schema} table={table} />
    </section>
  )
}

export async function DeleteImpactSection({ schema, table }: { schema: string; table: string }) {
  let tree
  try {
    tree = deleteImpact(await foreignKeyGraph(), schema, table)
  } catch (e) {
    return <WidgetError title="Delete impact" error={e} />
  }
  return (
    <section className="card" id="delete-impact" aria-labelledby="delete-impact-title">
      <h2 id="delete-impact-title">Delete impact</h2>
      <DeleteImpactTree tree={tree} />
    </section>
  )
}
