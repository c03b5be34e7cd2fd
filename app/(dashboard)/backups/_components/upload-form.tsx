'use client'

import { useRouter } from 'next/navigation'
import { type FormEvent, useState } from 'react'
import type { ActionResult } from '@/lib/auth/action-result'
import { formatBytes } from '@/lib/format/units'
import { ResultMessage } from '@/components/result-message'

/** Sends a custom-format dump as the request body (the browser streams the file); the server keeps it only if pg_restore reads it. */
export function UploadForm({ maxBytes }: { maxBytes: number }) {
  const router = useRouter()
  const [result, setResult] = useState<ActionResult<unknown> | null>(null)
  const [pending, setPending] = useState(false)

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const file = (event.currentTarget.elements.namedItem('file') as HTMLInputElement).files?.[0]
    if (!file) return setResult({ ok: false, code: 'invalid_input', message: 'Choose a file.' })
    if (file.size > maxBytes) return setResult({ ok: false, code: 'too_large', message: `The file is larger than the limit of ${formatBytes(maxBytes)}.` })
    setPending(true)
    try {
      const res = await fetch('/api/backups/upload', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) },
        body: file,
      })
      const r = (await res.json().catch(() => ({ ok: false, code: 'internal', message: `The server answered ${res.status}.` }))) as ActionResult<unknown>
      setResult(r)
      if (r.ok) router.refresh()
    } catch (e) {
      setResult({ ok: false, code: 'unavailable', message: `The upload did not reach the server: ${(e as Error).message}` })
    } finally {
      setPending(false)
    }
  }

  return (
    <form onSubmit={onSubmit} className="row" data-testid="upload-backup">
      <label>
        Custom-format dump (pg_dump -Fc), up to {formatBytes(maxBytes)}
        <input type="file" name="file" />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? 'Uploading…' : 'Upload'}
      </button>
      <ResultMessage result={result} />
    </form>
  )
}
