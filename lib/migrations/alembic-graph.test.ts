import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { alembicGraph, readAlembicRevisions } from './alembic-graph'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alembic-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

function write(file: string, body: string) {
  fs.writeFileSync(path.join(dir, file), body)
}

describe('Alembic revision graph', () => {
  it('finds heads, branch points and merges, and flags multiple heads', () => {
    write('001_base.py', `"""create users\n\nRevision ID: a1\n"""\nrevision = 'a1'\ndown_revision = None\n`)
    write('002_meetings.py', `"""meetings"""\nrevision: str = "b2"\ndown_revision: Union[str, None] = "a1"\n`)
    write('003_left.py', `revision = 'c3'\ndown_revision = 'b2'\n`)
    write('004_right.py', `revision = 'd4'\ndown_revision = 'b2'\n`)
    write('notes.txt', 'revision = "zz"')
    let g = alembicGraph(readAlembicRevisions(dir))
    expect(g.revisions.map((r) => [r.revision, r.downRevisions])).toEqual([
      ['a1', []],
      ['b2', ['a1']],
      ['c3', ['b2']],
      ['d4', ['b2']],
    ])
    expect(g.revisions[0].message).toBe('create users')
    expect(g).toMatchObject({ heads: ['c3', 'd4'], roots: ['a1'], branchPoints: ['b2'], merges: [], missing: [] })
    expect(g.problems).toEqual(['Multiple heads (c3, d4): `alembic upgrade head` fails. Merge them with `alembic merge heads`.'])

    write('005_merge.py', `revision = 'e5'\ndown_revision = ('c3', 'd4')\n`)
    g = alembicGraph(readAlembicRevisions(dir))
    expect(g).toMatchObject({ heads: ['e5'], merges: ['e5'], problems: [] })
  })

  it('reports down revisions that do not exist', () => {
    const g = alembicGraph([{ revision: 'x', downRevisions: ['gone'], file: 'x.py', message: null }])
    expect(g.missing).toEqual(['gone'])
    expect(g.problems).toEqual(['down_revision names unknown revisions: gone.'])
  })
})
