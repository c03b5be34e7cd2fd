import { DataTable } from '@/components/data-table'
import type { DefinerFunction } from '@/lib/security/definer-functions'
import type { DefaultPrivilege, PublicRights } from '@/lib/security/privileges'
import type { RowSecurityTable } from '@/lib/security/row-security'
import { privilegeWords } from './privilege-letters'

/** What PUBLIC (every role, also ones made later) holds on the database and its schemas. */
export function PublicRightsTable({ rights }: { rights: PublicRights }) {
  const rows = [
    { key: `database:${rights.database.name}`, what: 'database', name: rights.database.name, owner: rights.database.owner, privileges: rights.database.privileges },
    ...rights.schemas.map((s) => ({ key: `schema:${s.schema}`, what: 'schema', name: s.schema, owner: s.owner, privileges: s.privileges })),
  ]
  return (
    <DataTable
      label="Rights of PUBLIC"
      testId="security-public-rights"
      rows={rows}
      rowKey={(r) => r.key}
      rowProps={(r) => ({ 'data-object': r.key })}
      empty="PUBLIC holds nothing here."
      columns={[
        { key: 'what', label: 'Object', value: (r) => r.what },
        { key: 'name', label: 'Name', value: (r) => r.name, mono: true },
        { key: 'owner', label: 'Owner', value: (r) => r.owner, mono: true },
        {
          key: 'privileges',
          label: 'PUBLIC may',
          cell: (r) =>
            r.privileges.length === 0 ? (
              <span className="muted">nothing</span>
            ) : (
              r.privileges.map((p) => (
                <span key={p} className={`badge ${p === 'CREATE' ? 'bad' : 'muted'}`}>
                  {p}
                </span>
              ))
            ),
        },
      ]}
    />
  )
}

/** ALTER DEFAULT PRIVILEGES entries: the grants objects get when they are created later. */
export function DefaultPrivilegesTable({ entries }: { entries: DefaultPrivilege[] }) {
  return (
    <DataTable
      label="Default privileges"
      testId="security-default-privileges"
      rows={entries}
      rowKey={(d) => `${d.owner}\u0000${d.schema}\u0000${d.objectType}\u0000${d.grantee}`}
      empty="No default privileges are set: new objects get PostgreSQL’s defaults (everything for their owner; EXECUTE on functions and USAGE on types for PUBLIC)."
      columns={[
        { key: 'owner', label: 'Objects created by', value: (d) => d.owner, mono: true },
        { key: 'schema', label: 'In schema', value: (d) => d.schema ?? 'every schema', mono: true },
        { key: 'type', label: 'On', value: (d) => d.objectType },
        { key: 'grantee', label: 'Grant to', value: (d) => d.grantee, mono: true },
        { key: 'privileges', label: 'Privileges', value: (d) => privilegeWords(d.privileges) },
      ]}
    />
  )
}

/** SECURITY DEFINER functions and procedures, and whether each fixes its search_path. */
export function DefinerTable({ functions }: { functions: DefinerFunction[] }) {
  return (
    <DataTable
      label="SECURITY DEFINER functions"
      testId="security-definers"
      rows={functions}
      rowKey={(f) => `${f.schema}.${f.signature}`}
      rowProps={(f) => ({ 'data-function': `${f.schema}.${f.signature}` })}
      empty="No function or procedure runs with its owner’s rights (SECURITY DEFINER)."
      columns={[
        { key: 'function', label: 'Function', mono: true, value: (f) => `${f.schema}.${f.signature}` },
        { key: 'kind', label: 'Kind', value: (f) => f.kind },
        { key: 'owner', label: 'Runs as', mono: true, cell: (f) => <>{f.owner}{f.ownerIsSuperuser ? <span className="badge bad"> superuser</span> : null}</> },
        {
          key: 'path',
          label: 'search_path',
          cell: (f) => (f.searchPath === null ? <span className="badge bad">caller’s (not fixed)</span> : <code>{f.searchPath}</code>),
        },
        { key: 'extension', label: 'Extension', value: (f) => f.extension, mono: true },
      ]}
    />
  )
}

/** Tables with row-level security policies or RLS turned on. */
export function RowSecurityTables({ tables }: { tables: RowSecurityTable[] }) {
  return (
    <DataTable
      label="Row-level security"
      testId="security-rls"
      rows={tables}
      rowKey={(t) => `${t.schema}\u0000${t.table}`}
      rowProps={(t) => ({ 'data-table': `${t.schema}.${t.table}`, 'data-enabled': String(t.enabled) })}
      empty="No table has row-level security policies or has it enabled."
      columns={[
        { key: 'table', label: 'Table', mono: true, value: (t) => `${t.schema}.${t.table}` },
        { key: 'owner', label: 'Owner', mono: true, value: (t) => t.owner },
        {
          key: 'enabled',
          label: 'RLS',
          cell: (t) =>
            t.enabled ? (
              <span className="badge ok">{t.forced ? 'enabled, forced' : 'enabled'}</span>
            ) : (
              <span className={`badge ${t.policies.length ? 'bad' : 'muted'}`}>disabled</span>
            ),
        },
        {
          key: 'policies',
          label: 'Policies',
          cell: (t) =>
            t.policies.length === 0 ? (
              <span className="muted">none: only the owner sees rows</span>
            ) : (
              <ul className="plain-list">
                {t.policies.map((p) => (
                  <li key={p.name}>
                    <code>{p.name}</code> {p.command} to {p.roles.join(', ')}
                    {p.permissive ? '' : ' (restrictive)'}
                  </li>
                ))}
              </ul>
            ),
        },
      ]}
    />
  )
}
