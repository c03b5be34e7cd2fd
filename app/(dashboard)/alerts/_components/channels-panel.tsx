import { ActionForm, FieldError } from '@/components/action-form'
import { DataTable } from '@/components/data-table'
import { type Channel, listChannels } from '@/lib/alerts/channels'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { stateDb } from '@/lib/db/server-dbs'
import { addChannelAction } from '../actions'
import { alertConfig, alertTarget } from '../alert-target'
import { ChannelSwitches, TestChannelButton } from './alert-buttons'

/** A webhook URL may carry a token in its path or query: only admins see more than the host. */
function where(c: Channel, full: boolean): string {
  if (c.kind === 'email') return c.settings.to.join(', ')
  if (full) return `${c.settings.url} (${c.settings.format})`
  try {
    return `${new URL(c.settings.url).host} (${c.settings.format})`
  } catch {
    return c.settings.format
  }
}

function AddChannelForms() {
  return (
    <div className="stack" style={{ marginTop: 12 }}>
      <ActionForm action={addChannelAction} submitLabel="Add webhook" className="row card" resetOnSuccess testId="add-webhook">
        <input type="hidden" name="kind" value="webhook" />
        <label>
          Name
          <input name="name" required maxLength={60} />
          <FieldError name="name" />
        </label>
        <label>
          URL
          <input name="url" required type="url" placeholder="https://hooks.example.org/…" size={40} />
          <FieldError name="url" />
        </label>
        <label>
          Format
          <select name="format" defaultValue="json">
            <option value="json">JSON event</option>
            <option value="slack">Slack text</option>
          </select>
        </label>
      </ActionForm>
      <ActionForm action={addChannelAction} submitLabel="Add e-mail" className="row card" resetOnSuccess testId="add-email">
        <input type="hidden" name="kind" value="email" />
        <label>
          Name
          <input name="name" required maxLength={60} />
          <FieldError name="name" />
        </label>
        <label>
          Addresses (commas or spaces between)
          <input name="to" required size={40} />
          <FieldError name="to" />
        </label>
      </ActionForm>
    </div>
  )
}

/** Where notifications go: the configuration's channels (read-only here) and those admins add. */
export async function ChannelsPanel({ user }: { user: AppUser }) {
  const { key } = await alertTarget()
  const config = alertConfig()
  const channels = await listChannels(stateDb(), key, config)
  const manage = can(user.role, 'alerts.manage')
  return (
    <section aria-labelledby="channels-heading">
      <h2 id="channels-heading">Notification channels</h2>
      <p className="muted">
        Each firing and resolved alert is sent once to every channel that is on (retried with backoff; failures show in the history below). E-mail goes
        through {config.SMTP_URL ? 'the configured SMTP_URL' : <strong>SMTP_URL, which is not set: e-mail channels fail until it is</strong>}.
      </p>
      <DataTable
        label="Notification channels"
        testId="alert-channels"
        rows={channels}
        rowKey={(c) => c.id ?? c.name}
        rowProps={(c) => ({ 'data-channel': c.name })}
        empty="No channel: alerts are shown here and on the Overview only. Set ALERT_WEBHOOK_URL or ALERT_EMAIL_TO, or add a channel."
        columns={[
          { key: 'name', label: 'Name', mono: true, value: (c) => c.name },
          { key: 'kind', label: 'Kind', value: (c) => (c.kind === 'email' ? 'e-mail' : 'webhook') },
          { key: 'where', label: 'Sends to', mono: true, value: (c) => where(c, manage) },
          {
            key: 'origin',
            label: 'From',
            cell: (c) => (c.id === null ? 'configuration' : c.enabled ? <span className="badge ok">on</span> : <span className="badge muted">off</span>),
          },
          manage && {
            key: 'actions',
            label: 'Actions',
            cell: (c) => (
              <div className="row">
                <TestChannelButton channel={c.id === null ? c.name : String(c.id)} name={c.name} />
                {c.id !== null ? <ChannelSwitches id={c.id} name={c.name} enabled={c.enabled} /> : null}
              </div>
            ),
          },
        ]}
      />
      {manage ? <AddChannelForms /> : null}
    </section>
  )
}
