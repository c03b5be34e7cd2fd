'use client'

import { useRef, useState } from 'react'
import { useHydrated } from './use-hydrated'

type State = 'idle' | 'copied' | 'selected'

/** execCommand('copy') through a hidden textarea: for pages served over plain HTTP, where navigator.clipboard is missing. */
function copyThroughTextarea(text: string): boolean {
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.position = 'fixed'
  area.style.opacity = '0'
  document.body.appendChild(area)
  area.select()
  try {
    return document.execCommand('copy')
  } catch {
    return false
  } finally {
    area.remove()
  }
}

/**
 * Copies `text`. The clipboard API needs a secure context (HTTPS or localhost): elsewhere the old
 * copy command is tried, and failing both, the code is selected for the user to copy. The result is
 * announced through a status region.
 */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<State>('idle')
  const hydrated = useHydrated()
  const ref = useRef<HTMLButtonElement>(null)

  async function copy() {
    let copied = false
    try {
      await navigator.clipboard.writeText(text)
      copied = true
    } catch {
      copied = copyThroughTextarea(text)
    }
    if (!copied) {
      const code = ref.current?.closest('.sql-block')?.querySelector('pre')
      if (code) window.getSelection()?.selectAllChildren(code)
    }
    setState(copied ? 'copied' : 'selected')
    window.setTimeout(() => setState('idle'), 2500)
  }

  return (
    <span className="copy">
      <button ref={ref} type="button" className="copy-button" onClick={copy} disabled={!hydrated} aria-label={label} data-testid="copy-sql">
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span role="status" className="copy-status">
        {state === 'copied' ? 'Copied to the clipboard.' : state === 'selected' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
      </span>
    </span>
  )
}
