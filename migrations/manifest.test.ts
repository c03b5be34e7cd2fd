import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { computeManifest } from '../lib/migrations/manifest-file'
import { dorMigrations } from './index'
import { migrationChecksums } from './manifest'

describe('migrations/manifest.ts', () => {
  it('matches the migration files (run `npm run migrations:manifest` after adding one)', () => {
    expect(migrationChecksums).toEqual(computeManifest(path.resolve(import.meta.dirname)))
  })

  it('lists exactly the migrations of the static index', () => {
    expect(Object.keys(migrationChecksums).sort()).toEqual(Object.keys(dorMigrations).sort())
  })
})
