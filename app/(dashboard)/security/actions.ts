'use server'

import { sql } from 'kysely'
import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { createDb } from '@/lib/db/connect'
import { targetDb } from '@/lib/db/server-dbs'
import { serverEnv } from '@/lib/runtime/server-env'
import { applySetupScript, type SetupScriptBundle, setupScriptBundle } from '@/lib/security/setup-logins'

const SetupInput = z.object({
  // The page always uses the default; a prefix of their own keeps tests' roles apart.
  prefix: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,39}$/, 'Use 1 to 40 lower-case letters, digits or underscores, not starting with a digit.')
    .default('dbadmin'),
})

/**
 * Generates the least-privilege setup script with new passwords for its logins. Nothing changes on
 * the target, but the passwords are shown once to whoever asked: that is recorded.
 */
export const generateSetupScriptAction = action<typeof SetupInput, SetupScriptBundle>({
  name: 'security.setup_script',
  permission: 'security.read',
  input: SetupInput,
  async run(_ctx, input) {
    const bundle = await setupScriptBundle(targetDb(), serverEnv().targetUrl, { prefix: input.prefix })
    return {
      message: `Generated the least-privilege script for database ${bundle.database}: ${bundle.logins.length} logins, their passwords shown once and stored nowhere.`,
      target: bundle.database,
      data: bundle,
    }
  },
})

/**
 * Runs the script on the target as DATABASE_URL's login, which must be a superuser: one
 * transaction, all or nothing. The new logins' settings are shown once.
 */
export const applySetupScriptAction = action<typeof SetupInput, SetupScriptBundle>({
  name: 'security.setup_apply',
  permission: 'security.apply',
  input: SetupInput,
  async run(_ctx, input) {
    const targetUrl = serverEnv().targetUrl
    const db = createDb(targetUrl, { max: 1, applicationName: 'dor-db-admin (least-privilege setup)' })
    try {
      const { rows } = await sql<{ login: string; superuser: boolean }>`
        select session_user::text as login, rolsuper as superuser from pg_catalog.pg_roles where rolname = session_user`.execute(db)
      if (!rows[0]?.superuser) {
        throw new ActionError(
          'forbidden',
          `The dashboard's DATABASE_URL logs in as ${rows[0]?.login ?? 'a role'}, which is not a superuser: generate the script and run it as one instead. Nothing was changed.`,
        )
      }
      const bundle = await applySetupScript(db, targetUrl, { prefix: input.prefix })
      return {
        message: `Applied the least-privilege script to database ${bundle.database}: ${bundle.logins.length} logins made, their passwords shown once. Give the dashboard the settings below and restart it.`,
        target: bundle.database,
        data: bundle,
      }
    } finally {
      await db.destroy()
    }
  },
})
