import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export interface LocalSecrets {
  authSecret: string
  postgresPassword: string
}

/**
 * Secrets for the embedded default live in DATA_DIR/secrets.json (mode 600), generated on first
 * start, so that sessions survive restarts without any configuration.
 */
export function loadOrCreateSecrets(dataPath: string): LocalSecrets {
  const file = path.join(dataPath, 'secrets.json')
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>
    if (stored.authSecret && stored.postgresPassword) return stored as LocalSecrets
  }
  const secrets: LocalSecrets = {
    authSecret: randomBytes(32).toString('base64url'),
    postgresPassword: randomBytes(18).toString('base64url'),
  }
  fs.mkdirSync(dataPath, { recursive: true })
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 })
  return secrets
}
