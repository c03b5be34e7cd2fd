import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAlembicProcess } from '../lib/alembic/process'
import type { AlembicSettings } from '../lib/alembic/settings'

/** The fixture Alembic project: a base, two parallel revisions, their merge, an enum change. */
export const FIXTURE_DIR = path.resolve(import.meta.dirname, 'fixtures', 'alembic')

export const REV = {
  base: '1a2b3c4d5e6f',
  meetings: '2b3c4d5e6f70',
  userName: '3c4d5e6f7081',
  merge: '4d5e6f708192',
  secretary: '5e6f708192a3',
} as const

/** Debian's python3-alembic ships the module, not an `alembic` script: run it as a module. */
export const PYTHON_ALEMBIC = ['/usr/bin/python3', '-m', 'alembic']

export function fixtureSettings(dir = FIXTURE_DIR, overrides: Partial<AlembicSettings> = {}): AlembicSettings {
  return { command: PYTHON_ALEMBIC, dir, versionsDir: null, timeoutMs: 60_000, ...overrides }
}

/** A revision file whose upgrade runs `upgrade` (Python statements, `op` imported). */
export function revisionFile(revision: string, down: string, upgrade: string, downgrade = 'pass'): string {
  const indent = (body: string) => body.split('\n').map((l) => `    ${l}`).join('\n')
  return [
    `"""${revision} added by a test"""`,
    'import os',
    'import sys',
    'from alembic import op',
    '',
    `revision = '${revision}'`,
    `down_revision = '${down}'`,
    'branch_labels = None',
    'depends_on = None',
    '',
    '',
    'def upgrade() -> None:',
    indent(upgrade),
    '',
    '',
    'def downgrade() -> None:',
    indent(downgrade),
    '',
  ].join('\n')
}

export interface FixtureCopy {
  dir: string
  settings: AlembicSettings
  remove(): void
}

/** A copy of the fixture with extra revision files (file name → contents), or with env.py replaced. */
export function copyFixture(extra: Record<string, string> = {}, envPy?: string): FixtureCopy {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alembic-fixture-'))
  fs.cpSync(FIXTURE_DIR, dir, { recursive: true, filter: (src) => !src.includes('__pycache__') })
  for (const [file, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, 'migrations', 'versions', file), text)
  if (envPy !== undefined) fs.writeFileSync(path.join(dir, 'migrations', 'env.py'), envPy)
  return { dir, settings: fixtureSettings(dir), remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/** Brings a database to `revision` with the fixture, as the team would by hand. */
export async function alembicTo(settings: AlembicSettings, url: string, revision: string): Promise<void> {
  const r = await runAlembicProcess(settings, url, ['upgrade', revision])
  if (!r.ok) throw new Error(`alembic upgrade ${revision} failed: ${r.stderr}`)
}
