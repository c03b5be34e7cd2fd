import { DataTable } from '@/components/data-table'
import { type HbaResult, hbaRuleIsLocal } from '@/lib/security/hba'

/** pg_hba.conf as the server parsed it; when the login may not read it, why. */
export function HbaTable({ hba }: { hba: HbaResult }) {
  if (!hba.readable) {
    return (
      <p className="card" data-testid="hba-unreadable">
        The rules of pg_hba.conf are not shown: {hba.reason}. Read the file on the server, or let this login read them with{' '}
        <code>GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO …</code> (and SELECT on the view).
      </p>
    )
  }
  return (
    <DataTable
      label="pg_hba.conf rules"
      testId="security-hba"
      rows={hba.rules}
      rowKey={(r) => `${r.file}:${r.line}`}
      rowProps={(r) => ({ 'data-line': r.line, 'data-method': r.method })}
      empty="pg_hba.conf has no rules: nobody can connect."
      columns={[
        { key: 'line', label: 'Line', value: (r) => r.line, align: 'end' },
        { key: 'type', label: 'Type', value: (r) => r.type, mono: true },
        { key: 'databases', label: 'Databases', value: (r) => r.databases.join(', '), mono: true },
        { key: 'users', label: 'Users', value: (r) => r.users.join(', '), mono: true },
        { key: 'address', label: 'Address', value: (r) => [r.address, r.netmask].filter(Boolean).join(' '), mono: true },
        {
          key: 'method',
          label: 'Method',
          cell: (r) => {
            const risky = !hbaRuleIsLocal(r) && (r.method === 'trust' || (r.method === 'password' && r.type !== 'hostssl'))
            return <span className={`badge ${risky ? 'bad' : r.method === 'scram-sha-256' || r.method === 'cert' ? 'ok' : 'muted'}`}>{r.method}</span>
          },
        },
        { key: 'options', label: 'Options', value: (r) => r.options.join(', '), mono: true },
        { key: 'error', label: 'Error', value: (r) => r.error, className: 'finding-error' },
      ]}
      footer={<p className="muted">From {hba.rules[0]?.file ?? 'pg_hba.conf'}; the first rule that matches a connection decides.</p>}
    />
  )
}
