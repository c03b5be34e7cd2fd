'use client'

import { type ReactNode, useState, useTransition } from 'react'
import type { Preview } from '@/lib/schema/preview'
import { revealPreviewAction } from '../actions'
import { PreviewTable } from './preview-table'

/**
 * For roles with data.reveal: shows the masked preview (children) until asked, then the same rows
 * with the real values, fetched by an audited server action, in its place.
 */
export function RevealablePreview({ schema, name, children }: { schema: string; name: string; children: ReactNode }) {
  const [revealed, setRevealed] = useState<Preview | null>(null)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const [pending, startTransition] = useTransition()

  function reveal() {
    startTransition(async () => {
      const r = await revealPreviewAction({ schema, name })
      setMessage({ ok: r.ok, text: r.message })
      if (r.ok && r.data) setRevealed(r.data)
    })
  }

  return (
    <>
      <div className="row" style={{ marginBottom: 8, alignItems: 'center' }}>
        {revealed ? (
          <button
            type="button"
            onClick={() => {
              setRevealed(null)
              setMessage(null)
            }}
          >
            Hide values
          </button>
        ) : (
          <button type="button" className="danger" onClick={reveal} disabled={pending} data-testid="reveal-button">
            {pending ? 'Revealing…' : 'Reveal masked values'}
          </button>
        )}
        {message ? (
          <span role="status" className={`result ${message.ok ? 'ok' : 'bad'}`} style={{ marginTop: 0 }}>
            {message.text}
          </span>
        ) : (
          <span className="muted">Revealing is recorded in the audit log.</span>
        )}
      </div>
      {revealed ? <PreviewTable preview={revealed} revealed /> : children}
    </>
  )
}
