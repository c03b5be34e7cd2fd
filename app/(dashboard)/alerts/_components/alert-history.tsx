import { DataTable, Pager } from '@/components/data-table'
import { pageAlertHistory } from '@/lib/alerts/alert-history'
import { stateDb } from '@/lib/db/server-dbs'
import { alertTarget } from '../alert-target'
import { valueVsThreshold } from './active-alerts'

/** Every firing and resolved change, newest first, with how its notifications went; paged in the URL. */
export async function AlertHistory({ page }: { page: number }) {
  const { key } = await alertTarget()
  const h = await pageAlertHistory(stateDb(), key, page)
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <DataTable
        label="Alert history"
        testId="alert-history"
        rows={h.events}
        rowKey={(e) => e.id}
        rowProps={(e) => ({ 'data-rule': e.rule, 'data-kind': e.kind })}
        empty="No alert has fired yet."
        columns={[
          { key: 'at', label: 'At', value: (e) => e.at, format: 'timestamp' },
          { key: 'kind', label: 'Change', cell: (e) => <span className={`badge ${e.kind === 'firing' ? 'bad' : 'ok'}`}>{e.kind}</span> },
          {
            key: 'alert',
            label: 'Alert',
            cell: (e) => (
              <>
                <span className={`badge ${e.severity === 'critical' ? 'bad' : 'warn'}`}>{e.severity}</span> {e.title}
              </>
            ),
          },
          { key: 'value', label: 'Value (threshold)', value: (e) => valueVsThreshold(e.rule, e.value, e.threshold) },
          {
            key: 'sent',
            label: 'Notifications',
            cell: (e) => {
              const d = e.deliveries
              if (d.sent + d.failed + d.sending === 0) return <span className="muted">none</span>
              return (
                <span data-testid="deliveries">
                  {d.sent} sent{d.sending ? `, ${d.sending} sending` : ''}
                  {d.failed ? (
                    <>
                      , <span className="badge bad">{d.failed} failed</span> <span className="muted">{d.lastError}</span>
                    </>
                  ) : null}
                </span>
              )
            },
          },
        ]}
        footer={
          <Pager
            label="Pages of the alert history"
            summary={h.total > 0 ? <span className="muted">{`Page ${h.page} of ${h.pages} (${h.total} changes)`}</span> : undefined}
            links={[h.page > 1 && { href: `/alerts?page=${h.page - 1}#history-heading`, label: 'Newer' }, h.page < h.pages && { href: `/alerts?page=${h.page + 1}#history-heading`, label: 'Older' }]}
          />
        }
      />
    </section>
  )
}
