import { SqlBlock } from '@/components/sql-block'
import type { SettingAdvice } from '@/lib/performance/settings'

const SOURCE_NAME = { pghero: 'pghero', postgresql: 'PostgreSQL docs' } as const

/** One piece of advice: the setting, why, the statement to apply it and where the rule comes from. */
export function SettingAdviceCard({ a }: { a: SettingAdvice }) {
  return (
    <div className="card" data-testid="setting-advice" data-setting={a.setting}>
      <h3>
        <span className="mono">{a.setting}</span> = {a.current}
      </h3>
      <p>{a.reason}</p>
      {a.sql ? <SqlBlock label={`SQL for ${a.setting}`} sql={a.sql} wrap compact /> : null}
      <span className="threshold-note muted" data-testid="threshold">
        source:{' '}
        {a.source.url ? (
          <a href={a.source.url} target="_blank" rel="noreferrer">
            {SOURCE_NAME[a.source.kind]}
          </a>
        ) : (
          SOURCE_NAME[a.source.kind]
        )}
        : {a.source.note}
      </span>
    </div>
  )
}
