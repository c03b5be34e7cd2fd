import 'server-only'
import { SqlBlock } from '@/components/sql-block'
import { WidgetError } from '@/components/widget-error'
import { serverEnv } from '@/lib/runtime/server-env'
import { type TableDdl, tableDdl } from '@/lib/schema/table-ddl'
import type { RelationInfo } from '@/lib/schema/types'

export async function DdlBlock({ relation }: { relation: RelationInfo }) {
  let ddl: TableDdl
  try {
    const env = serverEnv()
    ddl = await tableDdl(env.capabilities.backup, relation, env.pgBinDir)
  } catch (e) {
    return <WidgetError title="DDL" error={e} />
  }
  return (
    <section className="card" id="ddl" aria-labelledby="ddl-title">
      <h2 id="ddl-title">DDL</h2>
      {ddl.source === 'catalog' ? (
        <p className="muted" data-testid="ddl-note">
          {ddl.note ?? 'Rebuilt from the catalog'}. It may differ from pg_dump in details such as ownership, grants and
          storage options.
        </p>
      ) : (
        <p className="muted">As pg_dump --schema-only writes it.</p>
      )}
      <SqlBlock sql={ddl.ddl} label={`DDL of ${relation.schema}.${relation.name}`} testId="ddl" />
    </section>
  )
}
