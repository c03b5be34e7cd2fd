import { ActionError } from '../auth/action-result'
import { describeDbError } from '../db/db-errors'

/**
 * Writes to the state database made once the target may have changed. The first failure (the
 * state database dropped, restarted, unreachable) is kept instead of thrown: the run stops
 * before the next migration and says what happened on the target, which the bare error would hide.
 */
export function stateRecorder() {
  let lost: unknown = null
  return {
    get lost(): unknown {
      return lost
    },
    /** `write()`'s result, or undefined once the state database has failed (this or an earlier write). */
    async write<T>(write: () => Promise<T>): Promise<T | undefined> {
      if (lost) return undefined
      try {
        return await write()
      } catch (e) {
        lost = e ?? new Error('unknown error')
        return undefined
      }
    },
  }
}

/**
 * The state database failed during a run: what the target now holds, that the history lacks it,
 * and that the next run records it from the target's migration table.
 */
export class StateLostError extends ActionError {
  constructor(
    readonly runId: number,
    readonly outcome: { done: string[]; failed: string | null; notRun: string[] },
    kind: 'apply' | 'rollback',
    table: string,
    cause: unknown,
  ) {
    const why = describeDbError(cause)
    const { done, failed, notRun } = outcome
    const verb = kind === 'apply' ? 'Applied' : 'Rolled back'
    const rest = [failed ? `${failed} failed and was rolled back on the target` : '', notRun.length ? `${notRun.join(', ')} not run` : '']
      .filter(Boolean)
      .join('; ')
    super(
      'state_unavailable',
      done.length
        ? `${verb} ${done.join(', ')} on the target; the state database could not record ${done.length === 1 ? 'it' : 'them'} (${why}).` +
            `${rest ? ` ${rest[0].toUpperCase()}${rest.slice(1)}.` : ''} Run #${runId} stays open in the history until the next run records the outcome from ${table}.`
        : `The state database could not record run #${runId} (${why}); ${rest || 'no migration was run on the target'}.`,
    )
    this.name = 'StateLostError'
  }
}
