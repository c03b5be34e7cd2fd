'use client'

import { useRouter } from 'next/navigation'
import { useEffect } from 'react'

/**
 * Re-renders the page from the server every `everyMs` while it is mounted. The page mounts it only
 * while a run is queued or running, so it stops by itself once the run has finished.
 */
export function AutoRefresh({ everyMs = 2000 }: { everyMs?: number }) {
  const router = useRouter()
  useEffect(() => {
    const timer = setInterval(() => router.refresh(), everyMs)
    return () => clearInterval(timer)
  }, [router, everyMs])
  return null
}
