import { DataTable } from '@/components/data-table'
import { requireUser } from '@/lib/auth/current-user'
import { targetDb } from '@/lib/db/server-dbs'
import { readSettings } from '@/lib/performance/settings'
import { SettingAdviceCard } from './_components/setting-advice'

export default async function SettingsPage({ searchParams }: { searchParams: Promise<{ all?: string }> }) {
  await requireUser()
  const all = (await searchParams).all === '1'
  const report = await readSettings(targetDb(), { all })
  return (
    <>
      <h1>Settings</h1>
      <p className="muted">
        {all ? 'Every setting of the server. ' : "The server's settings changed from their defaults, with where each was set. "}
        <a href={all ? '/settings' : '/settings?all=1'}>{all ? 'Only the changed ones' : 'Show every setting'}</a>
      </p>
      {report.limitations.map((l) => (
        <div className="banner warn" key={l}>
          {l}
        </div>
      ))}
      <h2>Advice</h2>
      {report.advice.length === 0 ? <p className="muted">Nothing to change in shared_buffers, work_mem, random_page_cost or autovacuum.</p> : null}
      {report.advice.map((a) => (
        <SettingAdviceCard key={a.setting} a={a} />
      ))}
      <div className="card">
        <DataTable
          label="Settings"
          testId="settings"
          rows={report.settings}
          rowKey={(s) => s.name}
          rowProps={(s) => ({ 'data-setting': s.name })}
          empty="Every setting has its default value."
          columns={[
            { key: 'name', label: 'Setting', value: (s) => s.name, mono: true },
            { key: 'value', label: 'Value', cell: (s) => <>{s.value}{s.pendingRestart ? <span className="badge warn">restart pending</span> : null}</>, mono: true },
            { key: 'default', label: 'Default', value: (s) => (s.bootValue === null ? null : `${s.bootValue}${s.unit ? ` ${s.unit}` : ''}`), mono: true },
            { key: 'source', label: 'Source', value: (s) => (s.sourceFile ? `${s.source} (${s.sourceFile}${s.sourceLine ? `:${s.sourceLine}` : ''})` : s.source) },
            { key: 'context', label: 'Takes effect', value: (s) => (s.context === 'postmaster' ? 'on restart' : s.context === 'sighup' ? 'on reload' : s.context) },
            { key: 'desc', label: 'What it does', value: (s) => s.description },
          ]}
        />
      </div>
    </>
  )
}
