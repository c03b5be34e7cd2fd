import { describeDbError } from '@/lib/db/db-errors'

/** What a widget shows instead of its data when the database did not answer. */
export function WidgetError({ title, error }: { title: string; error: unknown }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      <div className="banner bad">Could not read this from the database: {describeDbError(error)}</div>
    </div>
  )
}
