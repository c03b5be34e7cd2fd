import { sql } from 'kysely'
import { readSetting, SETTINGS, writeSetting } from '../state/app-settings'
import type { AppUser } from './users'
import type { StateDb } from '../state/state-db'

export async function adminTwoFactorRequired(db: StateDb): Promise<boolean> {
  return (await readSetting(db, SETTINGS.adminTwoFactorRequired, false)) === true
}

export async function setAdminTwoFactorRequired(db: StateDb, required: boolean, by: string): Promise<void> {
  await writeSetting(db, SETTINGS.adminTwoFactorRequired, required, by)
}

/**
 * True for an admin who must set up two-factor sign-in before doing anything else: the setting is
 * on and they have no confirmed enrolment. One query; other roles need none.
 */
export async function mustEnrolFirst(db: StateDb, user: Pick<AppUser, 'id' | 'role'>): Promise<boolean> {
  if (user.role !== 'admin') return false
  const { rows } = await sql<{ must: boolean }>`
    select coalesce((select value = 'true'::jsonb from app_setting where key = ${SETTINGS.adminTwoFactorRequired}), false)
      and not exists (select 1 from user_totp where user_id = ${user.id} and confirmed_at is not null) as must
  `.execute(db)
  return rows[0]?.must === true
}
