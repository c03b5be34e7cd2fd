import http from 'node:http'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'

export interface FakeAdvisory {
  package: string
  severity: 'low' | 'moderate' | 'high' | 'critical'
  vulnerableVersions: string
  title: string
}

export interface FakeRegistryOptions {
  /** Answer the audit endpoint with this status and no body (e.g. 405, as some mirrors do). */
  auditStatus?: number
  advisories?: FakeAdvisory[]
  /** Versions each package has, for npm to find a fixed one; packages not named here are 404. */
  versions?: Record<string, string[]>
}

/** Just enough of an npm registry for `npm audit`: the bulk advisory endpoint and packuments. */
export async function fakeNpmRegistry(opts: FakeRegistryOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url?.startsWith('/-/npm/v1/security/advisories/bulk')) {
        if (opts.auditStatus) {
          res.writeHead(opts.auditStatus, { allow: 'GET,HEAD' })
          return res.end()
        }
        let body = Buffer.concat(chunks)
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body)
        const asked = JSON.parse(body.toString('utf8')) as Record<string, string[]>
        const answer: Record<string, unknown[]> = {}
        ;(opts.advisories ?? []).forEach((a, i) => {
          if (!asked[a.package]) return
          ;(answer[a.package] ??= []).push({
            id: 1000 + i, url: `https://advisories.invalid/${i}`, title: a.title, severity: a.severity,
            vulnerable_versions: a.vulnerableVersions, cwe: [], cvss: { score: 0, vectorString: null },
          })
        })
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end(JSON.stringify(answer))
      }
      const name = decodeURIComponent((req.url ?? '/').slice(1))
      const versions = opts.versions?.[name]
      if (!versions) {
        res.writeHead(404)
        return res.end()
      }
      const doc = (version: string) => ({ name, version, dist: { tarball: `http://127.0.0.1/${name}-${version}.tgz`, shasum: '0'.repeat(40) } })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ name, 'dist-tags': { latest: versions[versions.length - 1] }, versions: Object.fromEntries(versions.map((v) => [v, doc(v)])) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}
