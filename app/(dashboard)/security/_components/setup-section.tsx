import { DataTable } from '@/components/data-table'
import { setupLogins } from '@/lib/security/setup-logins'
import { applySetupScriptAction, generateSetupScriptAction } from '../actions'
import { SetupScriptForms } from './setup-script-form'

/** What the least-privilege setup makes and how to run it; the script itself comes from the action. */
export function SetupSection({ database }: { database: string }) {
  const logins = setupLogins()
  return (
    <>
      <p>
        The script gives the dashboard one login per job instead of one login that may do everything. Each login is a member of a role that holds only
        that job’s rights (no superuser, no CREATEROLE or CREATEDB), and the migration role becomes the owner of the managed schemas and everything in
        them. It runs in one transaction and revokes nothing that exists.
      </p>
      <DataTable
        label="Logins the setup script makes"
        testId="setup-logins"
        rows={logins}
        rowKey={(l) => l.capability}
        rowProps={(l) => ({ 'data-capability': l.capability })}
        empty="–"
        columns={[
          { key: 'login', label: 'Login', value: (l) => l.login, mono: true },
          { key: 'role', label: 'Member of', value: (l) => l.role, mono: true },
          { key: 'variable', label: 'Setting', value: (l) => l.variable, mono: true },
          { key: 'purpose', label: 'Used for', value: (l) => l.purpose },
        ]}
      />
      <h3>How to run it</h3>
      <ol>
        <li>Generate the script here. It is made for this database as it is now, with new passwords; generating it is recorded in the audit log.</li>
        <li>
          Save it (say as <code>dbadmin-roles.sql</code>) and run it as a superuser: <code>psql &quot;$SUPERUSER_URL&quot; -v ON_ERROR_STOP=1 -f dbadmin-roles.sql</code>.
          Or, when the dashboard’s DATABASE_URL is a superuser, <em>Apply it now</em> runs it from here (audited).
        </li>
        <li>Put the settings shown with it in the dashboard’s environment and restart it: the superuser banner goes, and each page says which role it read with.</li>
      </ol>
      <SetupScriptForms generate={generateSetupScriptAction} apply={applySetupScriptAction} database={database} />
    </>
  )
}
