import { SqlBlock } from '@/components/sql-block'
import type { StatementsStatus } from '@/lib/performance/statements-extension'
import { CreateExtensionButton } from './reset-button'

/** What to change so that pg_stat_statements records statements, step by step, with the SQL. */
export function ExtensionAdvice({ status, canCreate }: { status: StatementsStatus; canCreate: boolean }) {
  return (
    <div className="card" data-testid="extension-advice">
      <div className="banner warn">{status.summary}</div>
      <ol>
        {status.steps.map((s, i) => (
          <li key={i}>
            {s.text}
            {s.sql ? <SqlBlock label={`step ${i + 1}`} sql={s.sql} wrap compact /> : null}
          </li>
        ))}
      </ol>
      {canCreate ? <CreateExtensionButton /> : null}
    </div>
  )
}
