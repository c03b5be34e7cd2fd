import type { AppConfig } from '../config'
import { AlertError } from './alert-error'
import type { StateDb } from '../state/state-db'

export type WebhookSettings = { url: string; format: 'json' | 'slack' }
export type EmailSettings = { to: string[] }

export type Channel = { id: number | null; name: string; enabled: boolean } & (
  | { kind: 'webhook'; settings: WebhookSettings }
  | { kind: 'email'; settings: EmailSettings }
)

/**
 * Where a target's alerts go: the channels kept in the state database, and those given by the
 * configuration (ALERT_WEBHOOK_URL, ALERT_EMAIL_TO), which have no row and cannot be edited on a page.
 */
export async function listChannels(
  state: StateDb,
  targetKey: string,
  config: Pick<AppConfig, 'ALERT_WEBHOOK_URL' | 'ALERT_WEBHOOK_FORMAT' | 'ALERT_EMAIL_TO'>,
): Promise<Channel[]> {
  const rows = await state.selectFrom('notification_channel').selectAll().where('target_key', '=', targetKey).orderBy('id').execute()
  const stored = rows.map((r) => ({ id: Number(r.id), name: r.name, enabled: r.enabled, kind: r.kind, settings: r.settings }) as Channel)
  const configured: Channel[] = []
  if (config.ALERT_WEBHOOK_URL) {
    configured.push({ id: null, name: 'ALERT_WEBHOOK_URL', enabled: true, kind: 'webhook', settings: { url: config.ALERT_WEBHOOK_URL, format: config.ALERT_WEBHOOK_FORMAT } })
  }
  if (config.ALERT_EMAIL_TO?.length) configured.push({ id: null, name: 'ALERT_EMAIL_TO', enabled: true, kind: 'email', settings: { to: config.ALERT_EMAIL_TO } })
  return [...configured, ...stored]
}

export type NewChannel = { name: string } & ({ kind: 'webhook'; settings: WebhookSettings } | { kind: 'email'; settings: EmailSettings })

export async function addChannel(state: StateDb, targetKey: string, c: NewChannel, by: string): Promise<number> {
  if (c.kind === 'webhook' && !/^https?:\/\//.test(c.settings.url)) throw new AlertError('invalid_input', 'A webhook URL must start with http:// or https://.', 'name')
  if (c.kind === 'email' && c.settings.to.length === 0) throw new AlertError('invalid_input', 'An e-mail channel needs at least one address.', 'name')
  if (c.name === 'ALERT_WEBHOOK_URL' || c.name === 'ALERT_EMAIL_TO') throw new AlertError('invalid_input', `"${c.name}" is the name of a channel from the configuration.`, 'name')
  // Asked first: inside a caller's transaction, a failed insert would abort it.
  const taken = await state.selectFrom('notification_channel').select('id').where('target_key', '=', targetKey).where('name', '=', c.name).executeTakeFirst()
  if (taken) throw new AlertError('invalid_input', `There is already a channel named "${c.name}".`, 'name')
  try {
    const row = await state
      .insertInto('notification_channel')
      .values({ target_key: targetKey, name: c.name, kind: c.kind, settings: JSON.stringify(c.settings), created_by: by })
      .returning('id')
      .executeTakeFirstOrThrow()
    return Number(row.id)
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new AlertError('invalid_input', `There is already a channel named "${c.name}".`, 'name')
    throw e
  }
}

/** A stored channel of the target; null when there is none (the configured ones have no id). */
export async function getChannel(state: StateDb, targetKey: string, id: number): Promise<Channel | null> {
  const r = await state.selectFrom('notification_channel').selectAll().where('target_key', '=', targetKey).where('id', '=', id).executeTakeFirst()
  return r ? ({ id: Number(r.id), name: r.name, enabled: r.enabled, kind: r.kind, settings: r.settings } as Channel) : null
}

/** Turns a stored channel on or off; false when the target has no such channel. */
export async function setChannelEnabled(state: StateDb, targetKey: string, id: number, enabled: boolean): Promise<boolean> {
  const r = await state.updateTable('notification_channel').set({ enabled }).where('target_key', '=', targetKey).where('id', '=', id).executeTakeFirst()
  return Number(r.numUpdatedRows) > 0
}

/** Removes a stored channel; its past deliveries keep its name. False when there is no such channel. */
export async function deleteChannel(state: StateDb, targetKey: string, id: number): Promise<boolean> {
  const r = await state.deleteFrom('notification_channel').where('target_key', '=', targetKey).where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}
