import { DataTable } from '@/components/data-table'
import type { PasswordState, RoleInfo } from '@/lib/security/roles'

const ATTRIBUTES: [keyof RoleInfo, string, 'bad' | 'warn' | 'muted'][] = [
  ['superuser', 'superuser', 'bad'],
  ['createRole', 'create role', 'warn'],
  ['createDb', 'create database', 'warn'],
  ['replication', 'replication', 'warn'],
  ['bypassRls', 'bypass RLS', 'warn'],
]

const PASSWORD_TEXT: Record<PasswordState, string> = {
  'scram-sha-256': 'SCRAM-SHA-256',
  md5: 'MD5',
  plain: 'plain text',
  none: 'none',
  unknown: 'not readable',
}

function PasswordCell({ role }: { role: RoleInfo }) {
  const bad = role.password === 'md5' || role.password === 'plain' || (role.password === 'none' && role.canLogin && !role.bootstrap)
  return <span className={`badge ${bad ? 'bad' : role.password === 'scram-sha-256' ? 'ok' : 'muted'}`}>{PASSWORD_TEXT[role.password]}</span>
}

/** The cluster's roles with their attributes; PostgreSQL's predefined pg_* roles are counted, not listed. */
export function RolesTable({ roles }: { roles: RoleInfo[] }) {
  const shown = roles.filter((r) => !r.predefined)
  const predefined = roles.length - shown.length
  return (
    <DataTable
      label="Roles of the cluster"
      testId="security-roles"
      rows={shown}
      rowKey={(r) => r.oid}
      rowProps={(r) => ({ 'data-role': r.name })}
      empty="No roles are visible to this login."
      columns={[
        {
          key: 'name',
          label: 'Role',
          mono: true,
          cell: (r) => (
            <>
              {r.name}
              {r.bootstrap ? <span className="badge muted"> bootstrap</span> : null}
            </>
          ),
        },
        { key: 'login', label: 'Can log in', cell: (r) => (r.canLogin ? 'yes' : <span className="muted">no</span>) },
        {
          key: 'attributes',
          label: 'Attributes',
          cell: (r) => {
            const held = ATTRIBUTES.filter(([k]) => r[k])
            if (held.length === 0) return <span className="muted">–</span>
            return held.map(([k, text, tone]) => (
              <span key={k} className={`badge ${tone}`} data-attribute={k}>
                {text}
              </span>
            ))
          },
        },
        { key: 'password', label: 'Password', cell: (r) => <PasswordCell role={r} /> },
        { key: 'valid', label: 'Valid until', value: (r) => r.validUntil, format: 'timestamp' },
        { key: 'limit', label: 'Connection limit', value: (r) => (r.connectionLimit < 0 ? 'none' : r.connectionLimit), align: 'end' },
        { key: 'member', label: 'Member of', mono: true, value: (r) => r.memberOf.join(', ') },
      ]}
      footer={
        predefined > 0 ? (
          <p className="muted">
            {predefined} predefined roles of PostgreSQL (pg_monitor, pg_read_all_data, …) are not listed; memberships in them are.
          </p>
        ) : null
      }
    />
  )
}
