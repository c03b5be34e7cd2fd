import type { ReactNode } from 'react'
import { ActionForm, FieldError } from '@/components/action-form'
import type { ActionResult } from '@/lib/auth/action-result'

type FormAction = (input: FormData) => Promise<ActionResult<unknown>>

export interface ListField {
  name: string
  label: string
  size: number
  placeholder?: string
  defaultValue?: string
}

/**
 * A table of kept settings (value sets, role rules) with Remove per row and a form to add one:
 * controls only for those who may edit.
 */
export function EditableList({
  headers,
  rows,
  empty,
  canEdit,
  remove,
  add,
}: {
  headers: string[]
  rows: { id: number; cells: ReactNode[] }[]
  empty: string
  canEdit: boolean
  remove: { action: FormAction; testId: string }
  add: { action: FormAction; label: string; testId: string; fields: ListField[] }
}) {
  const width = headers.length + (canEdit ? 1 : 0)
  return (
    <>
      <table className="data">
        <thead>
          <tr>
            {headers.map((h) => (
              <th key={h}>{h}</th>
            ))}
            {canEdit ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={width} className="muted">
                {empty}
              </td>
            </tr>
          ) : null}
          {rows.map((r) => (
            <tr key={r.id}>
              {r.cells.map((c, i) => (
                <td key={i} className={i === 0 ? 'mono' : undefined}>
                  {c}
                </td>
              ))}
              {canEdit ? (
                <td>
                  <ActionForm action={remove.action} submitLabel="Remove" danger testId={remove.testId}>
                    <input type="hidden" name="id" value={r.id} />
                  </ActionForm>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit ? (
        <ActionForm action={add.action} submitLabel={add.label} className="row" resetOnSuccess testId={add.testId}>
          {add.fields.map((f) => (
            <label key={f.name}>
              {f.label}
              <input name={f.name} required size={f.size} placeholder={f.placeholder} defaultValue={f.defaultValue} />
              <FieldError name={f.name} />
            </label>
          ))}
        </ActionForm>
      ) : null}
    </>
  )
}
