/**
 * Runs a job's last write (its findings, its final state) again after a passing failure: a
 * state pool busy with page reads must not leave a finished job recorded as running.
 */
export async function retried<T>(write: () => Promise<T>, attempts = 5, firstDelayMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write()
    } catch (e) {
      if (i >= attempts) throw e
      await new Promise((r) => setTimeout(r, firstDelayMs * 2 ** (i - 1)))
    }
  }
}
