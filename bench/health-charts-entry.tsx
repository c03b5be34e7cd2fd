import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { createRoot } from 'react-dom/client'
import { HealthCharts } from '@/app/(dashboard)/health/_components/health-charts'

/** Renders the Health page's charts from the JSON the bench put on the page; resolves when every chart's lines are drawn. */
declare global {
  interface Window {
    renderHealth: (json: string) => Promise<number>
  }
}

window.renderHealth = (json) =>
  new Promise((resolve) => {
    const started = performance.now()
    const view = JSON.parse(json)
    const container = document.getElementById('root')!
    // No polling: the bench measures one render, not the live route.
    const client = new QueryClient({ defaultOptions: { queries: { refetchInterval: false, enabled: false } } })
    createRoot(container).render(
      <QueryClientProvider client={client}>
        <HealthCharts initial={view} refreshMs={3600_000} />
      </QueryClientProvider>,
    )
    const check = () => {
      const charts = container.querySelectorAll('[data-testid^="chart-"]').length
      const drawn = container.querySelectorAll('[data-testid^="chart-"] path.recharts-curve').length
      if (charts > 0 && drawn >= charts) return resolve(performance.now() - started)
      requestAnimationFrame(check)
    }
    requestAnimationFrame(check)
  })
