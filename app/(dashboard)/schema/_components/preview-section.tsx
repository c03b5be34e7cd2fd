import 'server-only'
import { RoleNote } from '@/components/role-note'
import { WidgetError } from '@/components/widget-error'
import { dataReaderDb } from '@/lib/db/server-dbs'
import { type Preview, previewRows } from '@/lib/schema/preview'
import type { RelationInfo } from '@/lib/schema/types'
import { PreviewTable } from './preview-table'
import { RevealablePreview } from './reveal-button'

/** 42501 insufficient_privilege: the dashboard's database role may not SELECT this relation. */
const isPrivilegeError = (e: unknown) => (e as { code?: string })?.code === '42501'

export async function PreviewSection({ relation, canReveal }: { relation: RelationInfo; canReveal: boolean }) {
  let preview: Preview
  try {
    preview = await previewRows(dataReaderDb(), relation)
  } catch (e) {
    if (!isPrivilegeError(e)) return <WidgetError title="Data preview" error={e} />
    return (
      <section className="card" id="data" aria-labelledby="data-title">
        <h2 id="data-title">Data preview</h2>
        <div className="banner warn" data-testid="preview-denied" style={{ marginBottom: 0 }}>
          This role cannot read rows of this table. Grant SELECT on it to the dashboard&apos;s database user to see a
          preview.
        </div>
      </section>
    )
  }
  const anyMasked = preview.columns.some((c) => c.masked)
  return (
    <section className="card" id="data" aria-labelledby="data-title">
      <h2 id="data-title">Data preview</h2>
      <RoleNote uses={[{ what: 'Rows read', capability: 'backup' }]} />
      {anyMasked && canReveal && preview.rows.length > 0 ? (
        <RevealablePreview schema={relation.schema} name={relation.name}>
          <PreviewTable preview={preview} />
        </RevealablePreview>
      ) : (
        <PreviewTable preview={preview} />
      )}
    </section>
  )
}
