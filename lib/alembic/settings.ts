import fs from 'node:fs'
import path from 'node:path'
import type { AppConfig } from '../config'

/** How the team's Alembic is run: an argument list (never a shell) in its project folder. */
export interface AlembicSettings {
  /** ALEMBIC_COMMAND, e.g. ['alembic'] or ['alembic', '-c', '/srv/app/alembic.ini']. */
  command: string[]
  /** ALEMBIC_DIR, absolute: the working directory of every run. */
  dir: string
  /** ALEMBIC_VERSIONS_DIR when set; otherwise read from alembic.ini (see alembicVersionsDir). */
  versionsDir: string | null
  timeoutMs: number
}

/** Alembic runs are on when ALEMBIC_DIR is set. */
export function alembicSettings(config: Pick<AppConfig, 'ALEMBIC_DIR' | 'ALEMBIC_COMMAND' | 'ALEMBIC_VERSIONS_DIR' | 'ALEMBIC_TIMEOUT_MS'>): AlembicSettings | null {
  if (!config.ALEMBIC_DIR) return null
  return {
    command: config.ALEMBIC_COMMAND,
    dir: path.resolve(config.ALEMBIC_DIR),
    versionsDir: config.ALEMBIC_VERSIONS_DIR ? path.resolve(config.ALEMBIC_VERSIONS_DIR) : null,
    timeoutMs: config.ALEMBIC_TIMEOUT_MS,
  }
}

/** The ini file the command uses: its `-c`/`--config` argument, else alembic.ini in the folder. */
function iniPath(s: AlembicSettings): string {
  const i = s.command.findIndex((a) => a === '-c' || a === '--config')
  const given = i >= 0 ? s.command[i + 1] : s.command.find((a) => a.startsWith('--config='))?.slice('--config='.length)
  return path.resolve(s.dir, given ?? 'alembic.ini')
}

/** `key = value` of the [alembic] section, with %(here)s expanded. */
function iniValue(text: string, key: string, here: string): string | null {
  let section = ''
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      section = header[1].trim()
      continue
    }
    if (section !== 'alembic' || line.startsWith('#') || line.startsWith(';')) continue
    const m = /^([A-Za-z_]+)\s*[=:]\s*(.*)$/.exec(line)
    if (m && m[1] === key) return m[2].replaceAll('%(here)s', here).trim()
  }
  return null
}

/**
 * Where the revision files are: ALEMBIC_VERSIONS_DIR, else the first of alembic.ini's
 * version_locations, else <script_location>/versions. Null when no ini file can be read here (a
 * command run over ssh): the graph is then unknown and Alembic itself checks heads.
 */
export function alembicVersionsDir(s: AlembicSettings): string | null {
  if (s.versionsDir) return s.versionsDir
  const ini = iniPath(s)
  let text: string
  try {
    text = fs.readFileSync(ini, 'utf8')
  } catch {
    return null
  }
  const here = path.dirname(ini)
  const locations = iniValue(text, 'version_locations', here)
  if (locations) return path.resolve(here, locations.split(/[\s,]+/)[0])
  const script = iniValue(text, 'script_location', here)
  return script ? path.resolve(here, script, 'versions') : null
}
