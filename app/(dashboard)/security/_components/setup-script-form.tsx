'use client'

import { ActionForm } from '@/components/action-form'
import { SqlBlock } from '@/components/sql-block'
import type { ActionResult } from '@/lib/auth/action-result'
import type { SetupScriptBundle } from '@/lib/security/setup-logins'

type SetupAction = (input: FormData) => Promise<ActionResult<SetupScriptBundle>>

function Settings({ bundle }: { bundle: SetupScriptBundle }) {
  return (
    <>
      <p>
        The passwords are in these lines only: they were made for this script and are stored nowhere. Until the dashboard restarts with them, its
        admins’ own integrity rules cannot log in as the rule reader.
      </p>
      <SqlBlock sql={bundle.environment} label="settings for the dashboard" testId="setup-environment" wrap />
    </>
  )
}

/** Generate (to copy and run elsewhere) or apply the script; either shows the new logins' settings once. */
export function SetupScriptForms({ generate, apply, database }: { generate: SetupAction; apply: SetupAction; database: string }) {
  return (
    <div className="setup-forms">
      <ActionForm
        action={generate}
        submitLabel="Generate the setup script"
        testId="setup-script-form"
        renderData={(bundle) => (
          <div className="setup-script" data-testid="setup-script">
            <h3>1. Run this as a superuser</h3>
            <ul>
              {bundle.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
            <SqlBlock sql={bundle.script} label="least-privilege setup script" testId="setup-script-sql" />
            <h3>2. Give the dashboard these settings, then restart it</h3>
            <Settings bundle={bundle} />
          </div>
        )}
      />
      <ActionForm
        action={apply}
        submitLabel="Apply it now"
        danger
        confirmText={`Run the least-privilege script on database ${database} now, as the dashboard's DATABASE_URL login? It creates the dbadmin_* roles and makes dbadmin_migration the owner of every object in the managed schemas.`}
        testId="setup-apply-form"
        renderData={(bundle) => (
          <div className="setup-script" data-testid="setup-applied">
            <h3>Give the dashboard these settings, then restart it</h3>
            <Settings bundle={bundle} />
          </div>
        )}
      />
    </div>
  )
}
