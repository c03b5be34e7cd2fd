import { sqlTokens } from '@/lib/format/sql-tokens'
import { CopyButton } from './copy-button'

/** SQL with highlighted keywords, names, strings and comments; a plain component, so both server and client components use it. */
export function SqlCode({ sql }: { sql: string }) {
  return (
    <code className="sql">
      {sqlTokens(sql).map((t, i) => (t.kind === 'text' ? t.text : <span key={i} className={`sql-${t.kind}`}>{t.text}</span>))}
    </code>
  )
}

/**
 * SQL shown to be read and copied: statements of a dry run, DDL, advice, rules. `wrap` breaks long
 * lines (advice, dry runs); without it the block scrolls (DDL keeps its layout). The block can be
 * scrolled from the keyboard (it is focusable), and Copy copies exactly `sql`.
 */
export function SqlBlock({ sql, label, testId, wrap = false, compact = false }: { sql: string; label: string; testId?: string; wrap?: boolean; compact?: boolean }) {
  return (
    <div className={`sql-block${wrap ? ' wrap' : ''}${compact ? ' compact' : ''}`}>
      <pre data-testid={testId} tabIndex={0} role="group" aria-label={label}>
        <SqlCode sql={sql} />
      </pre>
      <CopyButton text={sql} label={`Copy ${label}`} />
    </div>
  )
}
