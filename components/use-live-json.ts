'use client'

import { useQuery } from '@tanstack/react-query'

/** A route's JSON answer, or its `message` as the error (401/403/503 answers carry one). */
async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' })
  const body = (await res.json().catch(() => null)) as (T & { message?: string }) | null
  if (!res.ok || body === null) throw new Error(body?.message ?? `The server answered ${res.status}.`)
  return body
}

/**
 * Polls a GET route every `intervalMs` while the page is visible, starting from what the server
 * rendered (`initial`), so the first paint needs no request.
 */
export function useLiveJson<T>(url: string, initial: T, intervalMs: number) {
  const q = useQuery({
    queryKey: [url],
    queryFn: () => fetchJson<T>(url),
    initialData: initial,
    refetchInterval: intervalMs,
  })
  return { data: q.data ?? initial, error: q.error, isFetching: q.isFetching }
}
