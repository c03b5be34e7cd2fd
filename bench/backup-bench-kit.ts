/** What the backup benchmarks share: memory sampling, a response-like reader, their state database, the 1 GiB download file. */
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Kysely } from 'kysely'
import { insertUploadedBackup } from '../lib/backups/catalogue'
import { createDb, withDatabase } from '../lib/db/connect'
import { dropDatabase, ensureDatabase } from '../lib/runtime/cluster-databases'
import { migrateStateDb } from '../lib/state/migrate-state'

export const GIB = 1 << 30

/** Peak RSS growth of this process above its level at the start, sampled every `everyMs` while `run` runs. */
export async function rssGrowth<T>(run: () => Promise<T>, everyMs = 10): Promise<{ growth: number; ms: number; value: T }> {
  global.gc?.()
  const base = process.memoryUsage().rss
  let peak = base
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), everyMs)
  const t = performance.now()
  try {
    const value = await run()
    peak = Math.max(peak, process.memoryUsage().rss)
    return { growth: peak - base, ms: performance.now() - t, value }
  } finally {
    clearInterval(timer)
  }
}

/** Reads a web stream to its end as Next's response writer does: a default reader, each chunk its own. */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader()
  let n = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return n
    n += value.length
  }
}

/** A fresh, migrated state database beside the bench database; `drop` removes it. */
export async function benchStateDb(benchUrl: string, name: string, max: number): Promise<{ url: string; db: Kysely<any>; drop(): Promise<void> }> {
  await dropDatabase(benchUrl, name)
  await ensureDatabase(benchUrl, name)
  const url = withDatabase(benchUrl, name)
  const db = createDb(url, { max })
  await migrateStateDb(db)
  return {
    url,
    db,
    async drop() {
      await db.destroy()
      await dropDatabase(benchUrl, name).catch(() => {})
    },
  }
}

/** A 1 GiB file of varied bytes in the backup directory, catalogued as an uploaded full backup; returns its path and id. */
export async function catalogueGibFile(state: Kysely<any>, dir: string, target: { key: string; database: string }): Promise<{ path: string; id: string }> {
  const file = 'bench-1gib.dump'
  const p = path.join(dir, file)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const block = Buffer.alloc(1 << 20)
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i)
  const fd = fs.openSync(p, 'w', 0o600)
  for (let i = 0; i < 1024; i++) fs.writeSync(fd, block)
  fs.closeSync(fd)
  const id = await insertUploadedBackup(state, { targetKey: target.key, targetDatabase: target.database, kind: 'full', format: 'custom', file, createdBy: 'bench', sizeBytes: GIB, sha256: '-', toolVersion: '15' })
  return { path: p, id }
}
