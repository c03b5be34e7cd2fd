import type { RuleName } from './rules'

/** Where the dashboard shows what each rule watches: the link beside an alert. */
export const RULE_PAGES: Record<RuleName, { label: string; href: string }> = {
  connectionsHigh: { label: 'Connections', href: '/connections' },
  connectionsExhausted: { label: 'Connections', href: '/connections' },
  dashboardPoolWaiting: { label: 'Activity', href: '/activity' },
  longRunningQuery: { label: 'Activity', href: '/activity' },
  highErrorRate: { label: 'Slow queries', href: '/slow-queries' },
  storageLimit: { label: 'Tables', href: '/tables' },
  storageForecast: { label: 'Tables', href: '/tables' },
  backupFailed: { label: 'Backups', href: '/backups' },
  backupMissing: { label: 'Backups', href: '/backups' },
  cacheHitRatioLow: { label: 'Indexes', href: '/indexes' },
  idleInTransaction: { label: 'Activity', href: '/activity' },
  transactionIdAge: { label: 'Tables', href: '/tables' },
  replicationLag: { label: 'Settings', href: '/settings' },
  blockedSessions: { label: 'Activity', href: '/activity' },
  sequenceNearMax: { label: 'Schema', href: '/schema' },
  integrityNewFindings: { label: 'Integrity', href: '/integrity' },
  dashboardQueryFailures: { label: 'Connections', href: '/connections' },
}
