'use client'

import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useRouter } from 'next/navigation'
import { useEffect, useRef } from 'react'

/** A route's JSON answer, or its `message` as the error (401/403/503 answers carry one). */
async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' })
  const body = (await res.json().catch(() => null)) as (T & { message?: string }) | null
  if (!res.ok || body === null) throw new Error(body?.message ?? `The server answered ${res.status}.`)
  return body
}

/**
 * Polls a GET route while the page is visible, starting from what the server rendered
 * (`initial`), so the first paint needs no request. `interval` is milliseconds, or a function of
 * the latest answer returning false to stop polling (e.g. once the work it follows has ended).
 */
export function useLiveJson<T>(url: string, initial: T, interval: number | ((data: T) => number | false)) {
  const queryClient = useQueryClient()
  // A new server render (router.refresh() after an action) brings a new `initial`: newer than the
  // last poll, and it may show work that just started, which must restart a stopped poll.
  const rendered = useRef(initial)
  useEffect(() => {
    if (rendered.current === initial) return
    rendered.current = initial
    queryClient.setQueryData([url], initial)
  }, [initial, queryClient, url])
  const q = useQuery({
    queryKey: [url],
    queryFn: () => fetchJson<T>(url),
    initialData: initial,
    refetchInterval: typeof interval === 'number' ? interval : (query) => interval(query.state.data ?? initial),
  })
  return { data: q.data ?? initial, error: q.error, isFetching: q.isFetching }
}

/**
 * Renders the page from the server again when the work a poll sees differs from the work the page
 * was rendered with: `rendered` and `polled` are keys of the set of active work (ids, and states
 * where a start changes the page) from the server's `initial` and from the latest poll. A live
 * widget follows progress through its small route; only work that starts or ends changes rows,
 * results and buttons, so the page is rendered again once per change, not on every poll.
 */
export function useRefreshWhenWorkChanges(rendered: string, polled: string): void {
  const router = useRouter()
  const seen = useRef({ rendered, asked: rendered })
  useEffect(() => {
    // A new render (ours, or an action's router.refresh()) is the news: the poll's data is replaced
    // by it (see useLiveJson), so a difference with the older poll is no change.
    if (seen.current.rendered !== rendered) {
      seen.current = { rendered, asked: rendered }
      return
    }
    if (polled !== rendered && polled !== seen.current.asked) {
      seen.current.asked = polled
      router.refresh()
    }
  }, [rendered, polled, router])
}
