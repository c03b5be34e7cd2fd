import { describe, expect, it } from 'vitest'
import { retried } from './retried'

describe('retried', () => {
  it('writes again after a passing failure, and gives up with the last error', async () => {
    let calls = 0
    const flaky = async () => {
      calls++
      if (calls < 3) throw new Error(`timeout exceeded when trying to connect (${calls})`)
      return 'written'
    }
    expect(await retried(flaky, 5, 1)).toBe('written')
    expect(calls).toBe(3)
    let tries = 0
    const down = async () => {
      tries++
      throw new Error(`still down (${tries})`)
    }
    await expect(retried(down, 3, 1)).rejects.toThrow('still down (3)')
    expect(tries).toBe(3)
  })
})
