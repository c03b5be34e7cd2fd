import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { openPrivateFile } from '../runtime/private-files'
import type { RelationRef as Ref } from './types'
import { AppError } from '../errors'

// The saved-rows file a fix writes before it changes anything, and the manifest beside it.

export type FixMode = 'delete' | 'set_null'

export class FixRuleError extends AppError {
  constructor(message: string) {
    super('invalid_input', message)
  }
}

/**
 * Written beside the saved rows (`<file>.meta.json`): what restoring them needs. Format 2 files
 * hold one `{"row": {…}, "record": "(…)"}` per line: the row as JSON to read, and as PostgreSQL's
 * own row text, which restores every type exactly. Format 1 lines are the JSON row alone.
 */
export interface FixManifest {
  format?: 2
  relation: Ref
  mode: FixMode
  keyColumns: string[]
  /** The table's columns when the rows were saved (format 2). */
  columns?: string[]
  savedAt: string
}

export function manifestPath(file: string): string {
  return file + '.meta.json'
}

/**
 * The manifest of a saved fix. A file without one is not restorable: the manifest is written
 * only once every row is saved, and before any row changes.
 */
export function readFixManifest(file: string): FixManifest {
  if (!fs.existsSync(file)) throw new FixRuleError(`There is no file ${file}.`)
  if (!fs.existsSync(manifestPath(file))) {
    throw new FixRuleError(
      `${file} is incomplete: it has no manifest (${path.basename(manifestPath(file))}), so the fix that wrote it stopped while saving rows, before it changed any. There is nothing to restore from it; delete it.`,
    )
  }
  return JSON.parse(fs.readFileSync(manifestPath(file), 'utf8')) as FixManifest
}

/** Written and flushed to disk before the fix goes on: the saved rows must survive a crash. */
export function writeSynced(file: string, text: string): void {
  const fd = openPrivateFile(file, 'w')
  try {
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** The saved lines of a fix file, `size` at a time, read line by line and left unparsed. */
export async function* savedLineBatches(file: string, size: number): AsyncGenerator<string[]> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity })
  let batch: string[] = []
  for await (const line of lines) {
    if (!line) continue
    batch.push(line)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/** How many rows a fix file holds (its lines), without reading it into memory. */
export async function countSavedRows(file: string): Promise<number> {
  let n = 0
  for await (const batch of savedLineBatches(file, 10_000)) n += batch.length
  return n
}

/** The column names of a format 1 file's first row. */
export async function firstLineColumns(file: string): Promise<string[] | undefined> {
  for await (const [line] of savedLineBatches(file, 1)) return Object.keys(JSON.parse(line) as object)
  return undefined
}
