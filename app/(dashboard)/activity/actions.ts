'use server'

import { z } from 'zod'
import { action } from '@/lib/auth/action'
import { ActionError } from '@/lib/auth/action-result'
import { signalDb } from '@/lib/db/server-dbs'
import { cancelBackend, type SignalResult, terminateBackend } from '@/lib/performance/signal-backend'

// Only action()-built functions are exported from this file: a unit test runs each as every role.

const SignalInput = z.object({
  pid: z.coerce.number({ message: 'must be a number' }).int({ message: 'must be a whole number' }).positive({ message: 'must be positive' }).max(2 ** 31 - 1, { message: 'is not a process id' }),
})

function outcome(r: SignalResult) {
  if (!r.ok) throw new ActionError(r.code === 'not-found' ? 'not_found' : 'refused', r.reason)
  return { message: r.message, data: { pid: r.pid } }
}

/** pg_cancel_backend: stops the session's running statement; the session stays. */
export const cancelSessionAction = action({
  name: 'sessions.cancel',
  permission: 'sessions.cancel',
  input: SignalInput,
  target: (input) => `pid ${input.pid}`,
  run: async (_ctx, input) => outcome(await cancelBackend(signalDb(), input.pid)),
})

/** pg_terminate_backend: ends the session and rolls back its transaction. */
export const terminateSessionAction = action({
  name: 'sessions.terminate',
  permission: 'sessions.terminate',
  input: SignalInput,
  target: (input) => `pid ${input.pid}`,
  run: async (_ctx, input) => outcome(await terminateBackend(signalDb(), input.pid)),
})
