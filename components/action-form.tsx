'use client'

import { useRouter } from 'next/navigation'
import { createContext, type FormEvent, type ReactNode, startTransition, useActionState, useContext, useEffect, useId, useRef } from 'react'
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

const NO_ERRORS: Record<string, string> = {}
const fieldErrorsOf = (r: ActionResult<unknown> | null) => (r && !r.ok && r.fieldErrors) || NO_ERRORS

const FieldErrors = createContext<{ errors: Record<string, string>; formId: string }>({ errors: {}, formId: '' })

/** The error the last submit got for field `name`, shown next to it (empty when there is none). */
export function FieldError({ name }: { name: string }) {
  const { errors, formId } = useContext(FieldErrors)
  const message = errors[name]
  if (!message) return null
  // Inside the field's <label>, but not part of its name: the field points at it (aria-describedby).
  return (
    <span className="field-error" id={`${formId}-${name}-error`} aria-hidden="true" data-testid="field-error" data-field={name}>
      {message}
    </span>
  )
}

/**
 * A form posting to a server action built with the action wrapper, showing its `{ ok, message }`
 * and each field's error next to it (<FieldError name=…> among the children). A failed submit
 * keeps what was typed: the form is submitted by hand rather than through `action`, which React
 * resets after every submit.
 */
export function ActionForm<T>(props: Props<T>) {
  const router = useRouter()
  const formRef = useRef<HTMLFormElement>(null)
  const formId = useId()
  const [result, submit, pending] = useActionState(async (_previous: ActionResult<T> | null, form: FormData) => {
    const r = await props.action(form)
    if (r.ok) {
      if (props.resetOnSuccess) formRef.current?.reset()
      router.refresh()
    }
    return r
  }, null)
  const errors = fieldErrorsOf(result)

  // Fields with an error say so to assistive technology, and point at the message.
  useEffect(() => {
    const form = formRef.current
    if (!form) return
    const errors = fieldErrorsOf(result)
    for (const el of Array.from(form.elements) as HTMLInputElement[]) {
      if (!el.name || el.type === 'hidden') continue
      if (errors[el.name]) {
        el.setAttribute('aria-invalid', 'true')
        el.setAttribute('aria-describedby', `${formId}-${el.name}-error`)
      } else {
        el.removeAttribute('aria-invalid')
        el.removeAttribute('aria-describedby')
      }
    }
  }, [result, formId])

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (props.confirmText && !window.confirm(props.confirmText)) return
    const form = new FormData(event.currentTarget)
    startTransition(() => submit(form))
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} className={props.className ?? 'inline'} data-testid={props.testId}>
      <FieldErrors.Provider value={{ errors, formId }}>{props.children}</FieldErrors.Provider>
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
