import type { StateDb } from './state-db'

/** Dashboard-wide settings kept in the state database, each a JSON value under a fixed key. */
export const SETTINGS = {
  /** Admins must use two-factor sign-in; those without it are sent to set it up before anything else. */
  adminTwoFactorRequired: 'auth.admin_two_factor_required',
} as const

export type SettingKey = (typeof SETTINGS)[keyof typeof SETTINGS]

export async function readSetting<T>(db: StateDb, key: SettingKey, fallback: T): Promise<T> {
  const row = await db.selectFrom('app_setting').select('value').where('key', '=', key).executeTakeFirst()
  return row ? (row.value as T) : fallback
}

export async function writeSetting(db: StateDb, key: SettingKey, value: unknown, by: string): Promise<void> {
  const json = JSON.stringify(value)
  await db
    .insertInto('app_setting')
    .values({ key, value: json, updated_by: by })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_by: by, updated_at: new Date() }))
    .execute()
}
