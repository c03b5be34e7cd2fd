'use client'

import { useRouter } from 'next/navigation'
import { ConfirmActionButton } from '@/components/confirm-action-button'
import { createStatementsExtensionAction, resetStatementsAction } from '../actions'

export function ResetButton() {
  const router = useRouter()
  return (
    <ConfirmActionButton
      action={resetStatementsAction}
      input={{}}
      label="Reset statistics"
      danger
      confirmText="Reset pg_stat_statements for this database? Every statement's counts start again from zero."
      onDone={() => router.refresh()}
      testId="reset-statements"
    />
  )
}

export function CreateExtensionButton() {
  const router = useRouter()
  return (
    <ConfirmActionButton
      action={createStatementsExtensionAction}
      input={{}}
      label="CREATE EXTENSION pg_stat_statements"
      confirmText="Create the pg_stat_statements extension in this database?"
      onDone={() => router.refresh()}
      testId="create-extension"
    />
  )
}
