import { ActionError } from '../auth/action-result'

export type BackupErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid_input'
  | 'tool_too_old'
  | 'tool_missing'
  | 'no_space'
  | 'backup_failed'
  | 'restore_failed'
  | 'verify_failed'
  | 'decrypt_failed'
  | 'cancelled'
  | 'too_large'

/**
 * An error whose message is meant for the person who started the work. It is an ActionError, so
 * the action wrapper passes code and message through as they are; nothing else of a failure
 * (stack, connection string) reaches a user.
 */
export class BackupError extends ActionError {
  constructor(
    readonly backupCode: BackupErrorCode,
    message: string,
  ) {
    super(backupCode, message)
    this.name = 'BackupError'
  }
}

/** The error an AbortSignal carries, or a plain "cancelled" when it carries none of ours. */
export function cancelledError(signal: AbortSignal): BackupError {
  const reason = signal.reason
  if (reason instanceof BackupError) return reason
  return new BackupError('cancelled', typeof reason === 'string' && reason ? `Cancelled: ${reason}` : 'Cancelled.')
}
