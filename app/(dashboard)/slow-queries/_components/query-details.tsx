'use client'

import { useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import type { ExplainResult } from '@/lib/performance/explain'
import { explainAction } from '../actions'
import { PlanView } from './plan-view'

/** How many parameters ($1, $2 …) a statement takes, as pg_stat_statements writes its constants. */
function parameterCount(statement: string): number {
  let max = 0
  for (const m of statement.matchAll(/\$(\d{1,3})\b/g)) max = Math.max(max, Number(m[1]))
  return max
}

type Shown = Omit<ExplainResult, 'json'>

/** EXPLAIN for one statement: its parameters entered by hand (or none, for the generic plan), ANALYZE for those allowed. */
export function QueryDetails({ statement, canAnalyze }: { statement: string; canAnalyze: boolean }) {
  const count = parameterCount(statement)
  const [text, setText] = useState(statement)
  const [values, setValues] = useState<string[]>(() => Array.from({ length: count }, () => ''))
  const [analyze, setAnalyze] = useState(false)
  const [result, setResult] = useState<ActionResult<Shown> | null>(null)
  const [pending, start] = useTransition()
  const withValues = values.some((v) => v !== '')

  function explain() {
    start(async () => setResult(await explainAction({ statement: text, params: withValues ? values : undefined, analyze })))
  }

  return (
    <details className="query-details">
      <summary>EXPLAIN</summary>
      <div className="explain-form" data-testid="explain-form">
        <label>
          Statement
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={Math.min(10, text.split('\n').length + 1)} cols={80} />
        </label>
        {values.map((v, i) => (
          <label key={i}>
            ${i + 1}{' '}
            <input value={v} onChange={(e) => setValues(values.map((x, j) => (j === i ? e.target.value : x)))} placeholder="value (empty for the generic plan)" />
          </label>
        ))}
        {canAnalyze ? (
          <label>
            <input type="checkbox" checked={analyze} onChange={(e) => setAnalyze(e.target.checked)} /> ANALYZE (runs it: a single SELECT only, read-only, rolled back, 10 s at most)
          </label>
        ) : null}
        <button type="button" onClick={explain} disabled={pending}>
          {pending ? '…' : analyze ? 'EXPLAIN ANALYZE' : 'EXPLAIN'}
        </button>
        {result ? (
          <div role="status" className={`result ${result.ok ? 'ok' : 'bad'}`} data-testid="explain-result">
            {result.message}
          </div>
        ) : null}
        {result?.ok && result.data ? <PlanView result={result.data} /> : null}
      </div>
    </details>
  )
}
