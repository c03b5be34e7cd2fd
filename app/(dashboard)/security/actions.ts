'use server'

import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { targetDb } from '@/lib/db/server-dbs'
import { serverEnv } from '@/lib/runtime/server-env'
import { type SetupScriptBundle, setupScriptBundle } from '@/lib/security/setup-logins'

const NoInput = z.object({})

/**
 * Generates the least-privilege setup script with new passwords for its logins. Nothing changes on
 * the target, but the passwords are shown once to whoever asked: that is recorded.
 */
export const generateSetupScriptAction = action<typeof NoInput, SetupScriptBundle>({
  name: 'security.setup_script',
  permission: 'security.read',
  input: NoInput,
  async run() {
    const bundle = await setupScriptBundle(targetDb(), serverEnv().targetUrl)
    return {
      message: `Generated the least-privilege script for database ${bundle.database}: ${bundle.logins.length} logins, their passwords shown once and stored nowhere.`,
      target: bundle.database,
      data: bundle,
    }
  },
})
