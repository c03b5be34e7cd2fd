import { ActionForm, FieldError } from '@/components/action-form'
import { DataTable } from '@/components/data-table'
import { can } from '@/lib/auth/permissions'
import type { AppUser } from '@/lib/auth/users'
import { integrityTargetDb, stateDb } from '@/lib/db/server-dbs'
import { targetIdentity } from '@/lib/db/target-identity'
import { JOB_KINDS } from '@/lib/jobs/all-kinds'
import { configuredSchedules } from '@/lib/jobs/schedule-config'
import { type JobSchedule, listSchedules } from '@/lib/jobs/schedules'
import { serverEnv } from '@/lib/runtime/server-env'
import { saveScheduleAction } from '../actions'

function ScheduleForm({ s }: { s: JobSchedule }) {
  return (
    <ActionForm action={saveScheduleAction} submitLabel="Save schedule" className="row" testId={`schedule-form-${s.kind}`}>
      <input type="hidden" name="kind" value={s.kind} />
      <label>
        Cron
        <input name="cron" required maxLength={100} defaultValue={s.cron} className="mono" />
        <FieldError name="cron" />
      </label>
      <label>
        Time zone
        <input name="timezone" required maxLength={64} defaultValue={s.timezone} />
        <FieldError name="timezone" />
      </label>
      <label className="inline">
        <input type="checkbox" name="enabled" defaultChecked={s.enabled} /> On
      </label>
    </ActionForm>
  )
}

/**
 * When unattended jobs fire. pg-boss keeps the schedule in the state database and fires it once
 * however many dashboards share it; admins change it here (audited), overriding the configuration.
 */
export async function SchedulesPanel({ user }: { user: AppUser }) {
  const { key } = await targetIdentity(integrityTargetDb())
  const schedules = await listSchedules(stateDb(), JOB_KINDS, key, configuredSchedules(serverEnv().jobs))
  const edit = can(user.role, 'jobs.schedule')
  return (
    <section aria-labelledby="schedules-heading" style={{ marginTop: 24 }}>
      <h2 id="schedules-heading">Schedules</h2>
      <DataTable
        label="Schedules"
        testId="schedules-table"
        rows={schedules}
        rowKey={(s) => s.kind}
        empty="No kind of job runs on a schedule."
        columns={[
          { key: 'kind', label: 'Job', cell: (s) => <span title={s.description}>{s.title}</span> },
          { key: 'cron', label: 'When', cell: (s) => (s.enabled ? <span className="mono">{`${s.cron} (${s.timezone})`}</span> : <span className="badge muted">off</span>) },
          { key: 'set', label: 'Set by', value: (s) => (s.setBy === 'config' ? 'configuration' : s.setBy) },
          {
            key: 'last',
            label: 'Last run',
            cell: (s) => (s.lastRun ? `#${s.lastRun.id} ${s.lastRun.state}, ${s.lastRun.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` : <span className="muted">never</span>),
          },
          edit && { key: 'edit', label: 'Change', cell: (s) => <ScheduleForm s={s} /> },
        ]}
      />
    </section>
  )
}
