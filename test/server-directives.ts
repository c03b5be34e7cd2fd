import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

export interface ServerDirectives {
  /** The file starts with 'use server': every export is a server action. */
  module: boolean
  /** Functions inside the file that declare 'use server' themselves (1-based lines). */
  inline: number[]
  /** POST, PUT, PATCH and DELETE exported by the file. */
  mutatingExports: string[]
}

const MUTATING = ['POST', 'PUT', 'PATCH', 'DELETE']

function hasUseServer(statements: ts.NodeArray<ts.Statement>): boolean {
  for (const s of statements) {
    if (!ts.isExpressionStatement(s) || !ts.isStringLiteral(s.expression)) return false
    if (s.expression.text === 'use server') return true
  }
  return false
}

/** What a source file declares about server code, read from its syntax (not from text matches). */
export function serverDirectives(fileName: string, text: string): ServerDirectives {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
  const inline: number[] = []
  const mutatingExports = new Set<string>()
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body && ts.isBlock(node.body as ts.Node) && hasUseServer((node.body as ts.Block).statements)) {
      inline.push(source.getLineAndCharacterOfPosition(node.getStart()).line + 1)
    }
    ts.forEachChild(node, visit)
  }
  ts.forEachChild(source, visit)
  for (const s of source.statements) {
    const exported = ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    if (exported && ts.isFunctionDeclaration(s) && s.name) mutatingExports.add(s.name.text)
    if (exported && ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) mutatingExports.add(d.name.text)
    }
    if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
      for (const e of s.exportClause.elements) mutatingExports.add(e.name.text)
    }
  }
  return { module: hasUseServer(source.statements), inline, mutatingExports: [...mutatingExports].filter((n) => MUTATING.includes(n)) }
}

/** Every .ts/.tsx source file under `dir`. */
export function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(full)
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [full] : []
  })
}
