/** Writes migrations/manifest.ts: the checksum of every DoR migration file. */
import fs from 'node:fs'
import path from 'node:path'
import { computeManifest, renderManifest } from '../lib/migrations/manifest-file'

const dir = path.resolve(import.meta.dirname, '..', 'migrations')
const file = path.join(dir, 'manifest.ts')
fs.writeFileSync(file, renderManifest(computeManifest(dir)))
console.log(`wrote ${path.relative(process.cwd(), file)}`)
