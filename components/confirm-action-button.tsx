'use client'

import { useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import { ResultMessage } from './result-message'

interface Props<I, T> {
  /** A server action built with the action wrapper. */
  action: (input: I) => Promise<ActionResult<T>>
  input: I
  label: string
  /** Asked with window.confirm first; the action runs only when confirmed. */
  confirmText?: string
  danger?: boolean
  /** After a success (e.g. refetch the live widget, or router.refresh()). */
  onDone?: (result: ActionResult<T>) => void
  /** Every result, success or not: for a message that must outlive the button (a live row that goes away). */
  onResult?: (result: ActionResult<T>) => void
  testId?: string
  /** The button's accessible name when `label` alone is ambiguous in a table ("Cancel session 123"). */
  ariaLabel?: string
}

/** One button running one wrapped action, with confirmation and its `{ ok, message }` beside it. */
export function ConfirmActionButton<I, T>({ action, input, label, confirmText, danger, onDone, onResult, testId, ariaLabel }: Props<I, T>) {
  const [result, setResult] = useState<ActionResult<T> | null>(null)
  const [pending, start] = useTransition()
  function run() {
    if (confirmText && !window.confirm(confirmText)) return
    start(async () => {
      const r = await action(input)
      setResult(r)
      onResult?.(r)
      if (r.ok) onDone?.(r)
    })
  }
  return (
    <span className="inline" data-testid={testId}>
      <button type="button" className={danger ? 'danger' : undefined} onClick={run} disabled={pending} aria-label={ariaLabel}>
        {pending ? '…' : label}
      </button>
      <ResultMessage result={result} />
    </span>
  )
}
