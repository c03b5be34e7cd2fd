'use client'

import { useRouter } from 'next/navigation'
import { useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import { ResultMessage } from './result-message'

interface Props {
  /** A server action built with the action wrapper, bound to its input. */
  action: () => Promise<ActionResult<unknown>>
  label: string
  disabled?: boolean
  primary?: boolean
  danger?: boolean
  /** Asked with window.confirm before the action runs. */
  confirmText?: string
  testId?: string
  /**
   * The message is dropped when this changes from a value to another (e.g. the id of the run the
   * button started, then null once that run ended): it no longer says what is going on.
   */
  dismissKey?: string | number | null
}

/**
 * One button for one server action, showing its `{ ok, message }` beside it. Unlike ActionForm it
 * can be disabled (no second run while one is going on); the message stays across refreshes.
 */
export function ActionButton(props: Props) {
  const router = useRouter()
  const [result, setResult] = useState<ActionResult<unknown> | null>(null)
  const [pending, startTransition] = useTransition()
  const [key, setKey] = useState(props.dismissKey ?? null)
  if ((props.dismissKey ?? null) !== key) {
    setKey(props.dismissKey ?? null)
    if (key !== null) setResult(null)
  }

  function click() {
    if (props.confirmText && !window.confirm(props.confirmText)) return
    startTransition(async () => {
      const r = await props.action()
      setResult(r)
      if (r.ok) router.refresh()
    })
  }

  const className = props.primary ? 'primary' : props.danger ? 'danger' : undefined
  return (
    <span className="inline" data-testid={props.testId}>
      <button type="button" className={className} disabled={pending || props.disabled} onClick={click}>
        {pending ? '…' : props.label}
      </button>
      <ResultMessage result={result} />
    </span>
  )
}
