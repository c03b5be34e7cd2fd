/**
 * An alert's lifecycle: ok → pending (the condition holds, not yet for its duration) → firing →
 * ok again (resolved). Only the steps into firing and out of it are transitions that notify, so a
 * condition that holds for a hundred samples notifies once, and once more when it ends.
 */
export type AlertState = 'ok' | 'pending' | 'firing'

export interface LifecyclePosition {
  state: AlertState
  pendingSince: Date | null
  firingSince: Date | null
}

export interface Step extends LifecyclePosition {
  transition: 'firing' | 'resolved' | null
}

export const OK: LifecyclePosition = { state: 'ok', pendingSince: null, firingSince: null }

export function advance(prev: LifecyclePosition, holds: boolean, at: Date, forSeconds: number): Step {
  if (!holds) {
    return { ...OK, transition: prev.state === 'firing' ? 'resolved' : null }
  }
  if (prev.state === 'firing') return { ...prev, transition: null }
  const pendingSince = prev.state === 'pending' && prev.pendingSince ? prev.pendingSince : at
  if (at.getTime() - pendingSince.getTime() >= forSeconds * 1000) {
    return { state: 'firing', pendingSince, firingSince: at, transition: 'firing' }
  }
  return { state: 'pending', pendingSince, firingSince: null, transition: null }
}
