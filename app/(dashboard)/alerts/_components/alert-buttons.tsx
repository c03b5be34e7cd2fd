'use client'

import { useRouter } from 'next/navigation'
import { ConfirmActionButton } from '@/components/confirm-action-button'
import { acknowledgeAlertAction, deleteChannelAction, setChannelEnabledAction, testChannelAction } from '../actions'

/** Acknowledge a firing alert (operators and admins). */
export function AcknowledgeButton({ rule, title }: { rule: string; title: string }) {
  const router = useRouter()
  return (
    <ConfirmActionButton
      action={acknowledgeAlertAction}
      input={{ rule }}
      label="Acknowledge"
      ariaLabel={`Acknowledge ${title}`}
      onDone={() => router.refresh()}
      testId={`ack-${rule}`}
    />
  )
}

/** Sends a made-up notification now; a failure is shown beside the button with the receiver's answer. */
export function TestChannelButton({ channel, name }: { channel: string; name: string }) {
  return <ConfirmActionButton action={testChannelAction} input={{ channel }} label="Send test" ariaLabel={`Send test to ${name}`} testId={`test-channel-${name}`} />
}

export function ChannelSwitches({ id, name, enabled }: { id: number; name: string; enabled: boolean }) {
  const router = useRouter()
  return (
    <>
      <ConfirmActionButton
        action={setChannelEnabledAction}
        input={{ id, enabled: !enabled }}
        label={enabled ? 'Turn off' : 'Turn on'}
        ariaLabel={`${enabled ? 'Turn off' : 'Turn on'} ${name}`}
        onDone={() => router.refresh()}
      />
      <ConfirmActionButton
        action={deleteChannelAction}
        input={{ id }}
        label="Delete"
        danger
        confirmText={`Delete the channel "${name}"? It gets no more notifications.`}
        ariaLabel={`Delete ${name}`}
        onDone={() => router.refresh()}
      />
    </>
  )
}
