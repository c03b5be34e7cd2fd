'use client'

import { ActionForm } from '@/components/action-form'
import { SqlBlock } from '@/components/sql-block'
import type { ActionResult } from '@/lib/auth/action-result'
import type { SetupScriptBundle } from '@/lib/security/setup-logins'

/** The Generate button, and the script with the new logins' settings once generated. */
export function SetupScriptForm({ action }: { action: (input: FormData) => Promise<ActionResult<SetupScriptBundle>> }) {
  return (
    <ActionForm
      action={action}
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
          <p>
            The passwords are in these lines only: they were made for this script and are stored nowhere. Generating again makes new ones (and a
            script that sets those).
          </p>
          <SqlBlock sql={bundle.environment} label="settings for the dashboard" testId="setup-environment" wrap />
        </div>
      )}
    />
  )
}
