import { ActionError } from '../auth/action-result'
import { JobBusyError } from '../jobs/enqueue'
import { PerformanceError } from './performance-error'

const CODES = { 'not-permitted': 'not_permitted', 'not-available': 'unavailable', 'invalid-input': 'invalid_input', refused: 'refused' } as const

/**
 * The performance library's expected failures as the action wrapper's typed errors, so the page
 * shows their message; anything else is rethrown and becomes the wrapper's generic error.
 */
export function performanceActionError(e: unknown): never {
  if (e instanceof PerformanceError) throw new ActionError(CODES[e.code], e.message)
  if (e instanceof JobBusyError) throw new ActionError('conflict', e.message)
  throw e
}
