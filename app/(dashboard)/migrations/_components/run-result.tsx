'use client'

import { useRouter } from 'next/navigation'
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState, useTransition } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'

interface Shown {
  /** What was asked, e.g. "Apply next". */
  title: string
  result: ActionResult<unknown>
}

interface RunResultContext {
  shown: Shown | null
  show: (s: Shown) => void
  clear: () => void
}

const Context = createContext<RunResultContext>({ shown: null, show: () => {}, clear: () => {} })

/**
 * Holds the last apply, rollback or acknowledge result above the table. The control that started it
 * may disappear once the page refreshes (the rolled-back row is no longer the last applied one), so
 * the result lives here, not next to the button.
 */
export function RunResultProvider({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState<Shown | null>(null)
  const clear = useCallback(() => setShown(null), [])
  const value = useMemo(() => ({ shown, show: setShown, clear }), [shown, clear])
  return <Context.Provider value={value}>{children}</Context.Provider>
}

export function useRunResult() {
  return useContext(Context)
}

/**
 * What every confirmed migration control does once its dialog is confirmed: run the action, show its
 * result above the table, close the dialog (`done`), and re-read the page.
 */
export function useConfirmedRun() {
  const router = useRouter()
  const { show } = useRunResult()
  const [pending, startTransition] = useTransition()
  const run = (title: string, action: () => Promise<ActionResult<unknown>>, done: () => void) =>
    startTransition(async () => {
      const result = await action()
      show({ title, result })
      done()
      router.refresh()
    })
  return { pending, run }
}

export function RunResultPanel() {
  const { shown, clear } = useRunResult()
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (shown) ref.current?.scrollIntoView({ block: 'nearest' })
  }, [shown])
  return (
    <div ref={ref} data-testid="run-result">
      {shown === null ? null : shown.result.ok ? (
        <div className="banner ok run-result" role="status">
          <strong>{shown.title}:</strong> {shown.result.message}{' '}
          <button type="button" className="link" onClick={clear}>
            Dismiss
          </button>
        </div>
      ) : (
        <div className="banner bad run-result" role="alert">
          <strong>{shown.title} failed</strong>{' '}
          <button type="button" className="link" onClick={clear}>
            Dismiss
          </button>
          <pre className="run-error" data-testid="run-error">
            {shown.result.message}
          </pre>
        </div>
      )}
    </div>
  )
}
