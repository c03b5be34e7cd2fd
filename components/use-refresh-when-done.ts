'use client'

import { useRouter } from 'next/navigation'
import { useEffect, useRef } from 'react'

/**
 * Renders the page from the server once when `active` turns false: a live widget follows the
 * work's progress through its own small route, and only the results it leaves (findings, history,
 * new buttons) need the page again, once, not on every poll.
 */
export function useRefreshWhenDone(active: boolean): void {
  const router = useRouter()
  const wasActive = useRef(active)
  useEffect(() => {
    if (wasActive.current && !active) router.refresh()
    wasActive.current = active
  }, [active, router])
}
