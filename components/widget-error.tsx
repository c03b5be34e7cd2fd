import { describeDbError, withoutRowValues } from '@/lib/db/db-errors'

/**
 * What a widget shows instead of its data when the database did not answer. Every role sees it, so
 * values a failed query quoted (from masked columns too) are left out.
 */
export function WidgetError({ title, error }: { title: string; error: unknown }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      <div className="banner bad">Could not read this from the database: {withoutRowValues(describeDbError(error))}</div>
    </div>
  )
}
