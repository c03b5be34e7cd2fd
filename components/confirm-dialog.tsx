'use client'

import { type ReactNode, useEffect, useId, useRef } from 'react'

interface Props {
  open: boolean
  /** Called when the dialog closes by itself (Escape) or by the caller's buttons. */
  onClose: () => void
  title: ReactNode
  /** While the action runs, Escape does not close the dialog. */
  busy?: boolean
  testId?: string
  children: ReactNode
}

/** A modal confirmation on the native <dialog> element: focus is trapped and the page behind is inert. */
export function ConfirmDialog({ open, onClose, title, busy, testId, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) dialog.showModal()
    else if (!open && dialog.open) dialog.close()
  }, [open])
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby={titleId}
      data-testid={testId}
      onClose={onClose}
      onCancel={(e) => {
        if (busy) e.preventDefault()
      }}
    >
      {open ? (
        <>
          <h2 id={titleId}>{title}</h2>
          {children}
        </>
      ) : null}
    </dialog>
  )
}
