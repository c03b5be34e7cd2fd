'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { type ReactNode, useState } from 'react'

/**
 * The dashboard's one react-query client, for live widgets polling small JSON routes. Polls pause
 * while the tab is hidden (refetchIntervalInBackground stays false) and resume on focus.
 */
export function QueryProvider({ children }: { children: ReactNode }) {
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { refetchIntervalInBackground: false, refetchOnWindowFocus: true, retry: 1, staleTime: 1000 },
        },
      }),
  )
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>
}
