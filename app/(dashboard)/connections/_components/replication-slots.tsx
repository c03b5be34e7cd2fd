'use client'

import { useRouter } from 'next/navigation'
import { ConfirmActionButton } from '@/components/confirm-action-button'
import { DataTable } from '@/components/data-table'
import type { ReplicationSlots as Slots } from '@/lib/performance/replication-slots'
import { dropReplicationSlotAction } from '../actions'

/** pghero's replication-slot check: inactive slots keep WAL forever; admins may drop them. */
export function ReplicationSlots({ report, canManage }: { report: Slots; canManage: boolean }) {
  const router = useRouter()
  return (
    <div className="card" data-testid="replication-slots">
      <h2>Replication slots</h2>
      <p className="muted small">
        A slot keeps every WAL segment its consumer has not confirmed. An inactive slot (its standby or subscriber gone or stopped) keeps them for ever, until the disk
        fills. Drop a slot only when nothing will use it again: its standby or subscriber then has to be set up anew.
      </p>
      {report.inactive.length ? (
        <div className="banner warn" data-testid="inactive-slots">
          {report.inactive.length} inactive slot{report.inactive.length === 1 ? '' : 's'}: {report.inactive.map((s) => s.name).join(', ')}.
        </div>
      ) : null}
      {canManage && report.dropNote ? <p className="muted">{report.dropNote}</p> : null}
      <DataTable
        label="Replication slots"
        rows={report.slots}
        rowKey={(s) => s.name}
        rowProps={(s) => ({ 'data-slot': s.name, 'data-active': s.active })}
        empty="This server has no replication slots."
        columns={[
          { key: 'name', label: 'Slot', value: (s) => s.name, mono: true },
          { key: 'type', label: 'Type', value: (s) => (s.type === 'logical' ? `logical (${s.plugin ?? '?'}, ${s.database ?? '?'})` : 'physical') },
          { key: 'active', label: 'State', cell: (s) => (s.active ? <span className="badge ok">active, pid {s.activePid}</span> : <span className="badge bad">inactive</span>) },
          { key: 'retained', label: 'WAL retained', value: (s) => s.retainedBytes, format: 'bytes' },
          { key: 'wal', label: 'WAL status', value: (s) => s.walStatus },
          canManage && {
            key: 'drop',
            label: '',
            cell: (s) =>
              !s.active && report.canDrop ? (
                <ConfirmActionButton
                  action={dropReplicationSlotAction}
                  input={{ name: s.name }}
                  label="Drop"
                  ariaLabel={`Drop slot ${s.name}`}
                  danger
                  confirmText={`Drop replication slot ${s.name}? Its WAL is released; a standby or subscriber that still uses it must be set up again.`}
                  onDone={() => router.refresh()}
                  testId="drop-slot"
                />
              ) : null,
          },
        ]}
      />
    </div>
  )
}
