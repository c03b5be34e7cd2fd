import fs from 'node:fs'
import path from 'node:path'

export interface AlembicRevision {
  revision: string
  downRevisions: string[]
  file: string
  message: string | null
}

export interface AlembicGraph {
  revisions: AlembicRevision[]
  /** Revisions no other revision builds on. More than one: "multiple heads". */
  heads: string[]
  roots: string[]
  /** Revisions with more than one child: where parallel work started. */
  branchPoints: string[]
  /** Revisions with more than one parent: merges. */
  merges: string[]
  /** down_revision values that name no known revision. */
  missing: string[]
  problems: string[]
}

// revision = 'abc' / revision: str = "abc" / down_revision: Union[str, None] = ('a', 'b')
const ASSIGN = (name: string) => new RegExp(`^${name}(?:\\s*:[^=\\n]+)?\\s*=\\s*(.+)$`, 'm')

function parseIds(value: string): string[] {
  const v = value.trim()
  if (/^None\b/.test(v)) return []
  return [...v.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1])
}

/** Reads the `revision` / `down_revision` lines of an Alembic versions folder (files are data, never run). */
export function readAlembicRevisions(dir: string): AlembicRevision[] {
  const out: AlembicRevision[] = []
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith('.py')) continue
    const text = fs.readFileSync(path.join(dir, file), 'utf8')
    const rev = text.match(ASSIGN('revision'))
    if (!rev) continue
    const down = text.match(ASSIGN('down_revision'))
    const ids = parseIds(rev[1])
    if (ids.length !== 1) continue
    out.push({
      revision: ids[0],
      downRevisions: down ? parseIds(down[1]) : [],
      file,
      message: text.match(/^"""(.+)$/m)?.[1]?.trim() ?? null,
    })
  }
  return out
}

export function alembicGraph(revisions: AlembicRevision[]): AlembicGraph {
  const known = new Set(revisions.map((r) => r.revision))
  const children = new Map<string, string[]>()
  for (const r of revisions) for (const d of r.downRevisions) children.set(d, [...(children.get(d) ?? []), r.revision])
  const heads = revisions.filter((r) => !children.has(r.revision)).map((r) => r.revision)
  const roots = revisions.filter((r) => r.downRevisions.length === 0).map((r) => r.revision)
  const branchPoints = [...children.entries()].filter(([id, c]) => known.has(id) && c.length > 1).map(([id]) => id)
  const merges = revisions.filter((r) => r.downRevisions.length > 1).map((r) => r.revision)
  const missing = [...new Set(revisions.flatMap((r) => r.downRevisions).filter((d) => !known.has(d)))]
  const problems: string[] = []
  if (heads.length > 1) {
    problems.push(`Multiple heads (${heads.join(', ')}): \`alembic upgrade head\` fails. Merge them with \`alembic merge heads\`.`)
  }
  if (roots.length > 1) problems.push(`More than one base revision (${roots.join(', ')}).`)
  if (missing.length) problems.push(`down_revision names unknown revisions: ${missing.join(', ')}.`)
  return { revisions, heads, roots, branchPoints, merges, missing, problems }
}
