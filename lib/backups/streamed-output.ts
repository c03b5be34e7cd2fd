import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { openPrivateFile } from '../runtime/private-files'
import type { AgeStart } from './age-header'
import { encryptStream } from './age-stream'

/**
 * Writes a tool's stdout to a new 0600 file, through age encryption when keys are given, hashing
 * and counting what lands on disk as it goes: the SHA-256 recorded is that of the file itself.
 */
export async function writeStreamed(
  source: Readable,
  file: string,
  age: AgeStart | null,
  onBytes: (bytes: number) => void,
): Promise<{ bytes: number; sha256: string; sourceBytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  let sourceBytes = 0
  source.on('data', (c: Buffer) => (sourceBytes += c.length))
  const meter = new Transform({
    transform(chunk: Buffer, _e, done) {
      hash.update(chunk)
      bytes += chunk.length
      onBytes(bytes)
      done(null, chunk)
    },
  })
  const out = fs.createWriteStream(file, { fd: openPrivateFile(file), highWaterMark: 1 << 20 })
  if (age) meter.write(age.prefix)
  await (age ? pipeline(source, encryptStream(age.key), meter, out) : pipeline(source, meter, out))
  return { bytes, sha256: hash.digest('hex'), sourceBytes }
}
