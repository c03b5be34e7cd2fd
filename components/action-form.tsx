'use client'

import { useRouter } from 'next/navigation'
import { type ReactNode, useRef, useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'

interface Props<T> {
  action: (input: FormData) => Promise<ActionResult<T>>
  children?: ReactNode
  submitLabel: string
  className?: string
  /** Asked with window.confirm before the action runs. */
  confirmText?: string
  danger?: boolean
  resetOnSuccess?: boolean
  /** Extra output for a successful result, e.g. a generated password shown once. */
  renderData?: (data: T) => ReactNode
  testId?: string
}

/** A form posting to a server action built with the action wrapper, showing its `{ ok, message }`. */
export function ActionForm<T>(props: Props<T>) {
  const router = useRouter()
  const formRef = useRef<HTMLFormElement>(null)
  const [result, setResult] = useState<ActionResult<T> | null>(null)
  const [pending, startTransition] = useTransition()

  function submit(form: FormData) {
    if (props.confirmText && !window.confirm(props.confirmText)) return
    startTransition(async () => {
      const r = await props.action(form)
      setResult(r)
      if (r.ok) {
        if (props.resetOnSuccess) formRef.current?.reset()
        router.refresh()
      }
    })
  }

  return (
    <form ref={formRef} action={submit} className={props.className ?? 'inline'} data-testid={props.testId}>
      {props.children}
      <button type="submit" className={props.danger ? 'danger' : undefined} disabled={pending}>
        {pending ? '…' : props.submitLabel}
      </button>
      {result ? (
        <span role="status" className={`result ${result.ok ? 'ok' : 'bad'}`}>
          {result.message}
          {result.ok && result.data !== undefined && props.renderData ? props.renderData(result.data) : null}
        </span>
      ) : null}
    </form>
  )
}
