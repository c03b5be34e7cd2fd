import { afterAll, describe, expect, it } from 'vitest'
import { createDb } from '../db/connect'
import { type FindingFacts, securityFindings } from './findings'
import { type HbaRule, hbaRuleIsLocal } from './hba'
import { type ClientConnection, isLocalAddress } from './transport'

// Findings compile their SQL with Kysely; compiling never opens a connection.
const db = createDb('postgres://nobody@127.0.0.1:1/none', { max: 1 })
afterAll(() => db.destroy())

const rule = (r: Partial<HbaRule>): HbaRule => ({
  file: '/etc/postgresql/pg_hba.conf',
  line: 1,
  type: 'host',
  databases: ['all'],
  users: ['all'],
  address: '0.0.0.0',
  netmask: '0.0.0.0',
  method: 'scram-sha-256',
  options: [],
  error: null,
  ...r,
})

const conn = (c: Partial<ClientConnection>): ClientConnection => ({
  pid: 1,
  user: 'app',
  database: 'dor',
  applicationName: 'dor-dash',
  clientAddress: '10.0.0.5',
  ssl: false,
  sslVersion: null,
  cipher: null,
  superuser: false,
  current: false,
  remote: true,
  ...c,
})

function facts(f: Partial<FindingFacts>): FindingFacts {
  return {
    database: 'dor',
    settings: { passwordEncryption: 'scram-sha-256', ssl: true, sslMinProtocolVersion: 'TLSv1.2', serverVersionNum: 150018 },
    roles: { roles: [], passwordsReadable: true },
    publicRights: { database: { name: 'dor', owner: 'postgres', privileges: ['CONNECT', 'TEMPORARY'] }, schemas: [] },
    connections: [],
    hba: { readable: true, rules: [] },
    definerFunctions: [],
    rowSecurity: [],
    ...f,
  }
}

describe('local addresses', () => {
  it('counts loopback and sockets as local, anything else as crossing a network', () => {
    for (const a of [null, '', '127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'localhost', '/var/run/postgresql']) {
      expect(isLocalAddress(a), String(a)).toBe(true)
    }
    for (const a of ['10.0.0.5', '192.168.1.1', '::ffff:10.0.0.1', 'fe80::1', 'db.example.org', '128.0.0.1']) {
      expect(isLocalAddress(a), a).toBe(false)
    }
  })

  it('reads a pg_hba rule as local only when its address and mask stay on the machine', () => {
    expect(hbaRuleIsLocal(rule({ type: 'local', address: null, netmask: null }))).toBe(true)
    expect(hbaRuleIsLocal(rule({ address: '127.0.0.1', netmask: '255.255.255.255' }))).toBe(true)
    expect(hbaRuleIsLocal(rule({ address: '127.0.0.0', netmask: '255.0.0.0' }))).toBe(true)
    expect(hbaRuleIsLocal(rule({ address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' }))).toBe(true)
    expect(hbaRuleIsLocal(rule({ address: 'samehost', netmask: null }))).toBe(true)
    expect(hbaRuleIsLocal(rule({ address: '127.0.0.1', netmask: '0.0.0.0' }))).toBe(false)
    expect(hbaRuleIsLocal(rule({ address: '::1', netmask: '::' }))).toBe(false)
    expect(hbaRuleIsLocal(rule({ address: 'all', netmask: null }))).toBe(false)
    expect(hbaRuleIsLocal(rule({ address: 'samenet', netmask: null }))).toBe(false)
    expect(hbaRuleIsLocal(rule({ address: '10.0.0.0', netmask: '255.0.0.0' }))).toBe(false)
  })
})

describe('securityFindings from facts', () => {
  it('flags trust and clear-text password rules for the network, not for the machine itself', () => {
    const found = securityFindings(db, facts({
      hba: {
        readable: true,
        rules: [
          rule({ line: 10, type: 'local', address: null, netmask: null, method: 'trust' }),
          rule({ line: 11, address: '127.0.0.1', netmask: '255.255.255.255', method: 'trust' }),
          rule({ line: 12, address: '10.0.0.0', netmask: '255.0.0.0', method: 'trust' }),
          rule({ line: 13, address: 'all', netmask: null, method: 'password' }),
          rule({ line: 14, type: 'hostssl', address: 'all', netmask: null, method: 'password' }),
          rule({ line: 15, address: 'all', netmask: null, method: 'trust', error: 'invalid IP mask' }),
        ],
      },
    }))
    expect(found.map((f) => [f.check, f.severity, f.subject])).toEqual([
      ['trust_remote', 'critical', '/etc/postgresql/pg_hba.conf, line 12: host all all 10.0.0.0 255.0.0.0'],
      ['cleartext_password_remote', 'high', '/etc/postgresql/pg_hba.conf, line 13: host all all all'],
    ])
    expect(found[0].fix).toBe('SELECT pg_reload_conf();')
    expect(found[0].fixNote).toContain('/etc/postgresql/pg_hba.conf, line 12, replace "trust" by "scram-sha-256"')
  })

  it('reports nothing about pg_hba when it could not be read', () => {
    expect(securityFindings(db, facts({ hba: { readable: false, reason: 'no' } }))).toEqual([])
  })

  it('flags SSL off (high when network clients are connected) and network connections without SSL, grouped', () => {
    const connections = [
      conn({ pid: 1 }),
      conn({ pid: 2 }),
      conn({ pid: 3, clientAddress: '127.0.0.1', remote: false }),
      conn({ pid: 4, user: 'reporting', clientAddress: '10.0.0.9', ssl: true }),
      conn({ pid: 5, user: 'hidden', clientAddress: null, ssl: null, remote: false }),
    ]
    const found = securityFindings(db, facts({ settings: { ...facts({}).settings, ssl: false }, connections }))
    expect(found.map((f) => [f.check, f.severity, f.subject])).toEqual([
      ['connection_without_ssl', 'high', 'app@10.0.0.5'],
      ['ssl_off', 'high', 'ssl'],
    ])
    expect(found[0].title).toBe('2 connections from the network without SSL (app@10.0.0.5)')
    const local = securityFindings(db, facts({ settings: { ...facts({}).settings, ssl: false }, connections: [connections[2]] }))
    expect(local.map((f) => [f.check, f.severity])).toEqual([['ssl_off', 'medium']])
  })

  it('flags applications connected as a superuser, but not the session reading the report', () => {
    const found = securityFindings(db, facts({
      connections: [
        conn({ pid: 1, user: 'postgres', superuser: true, remote: false, applicationName: 'dor-dash' }),
        conn({ pid: 2, user: 'postgres', superuser: true, remote: false, applicationName: '' }),
        conn({ pid: 3, user: 'admin', superuser: true, current: true, remote: false }),
      ],
    }))
    expect(found.map((f) => [f.check, f.subject])).toEqual([['superuser_sessions', 'postgres']])
    expect(found[0].why).toContain('(dor-dash, unnamed client)')
  })

  it('flags md5 password_encryption with the setting to change', () => {
    const found = securityFindings(db, facts({ settings: { ...facts({}).settings, passwordEncryption: 'md5' } }))
    expect(found.map((f) => [f.check, f.fix, f.fixStatements])).toEqual([
      [
        'password_encryption_md5',
        "ALTER SYSTEM SET password_encryption = 'scram-sha-256';\nSELECT pg_reload_conf();",
        ["ALTER SYSTEM SET password_encryption = 'scram-sha-256';", 'SELECT pg_reload_conf();'],
      ],
    ])
  })

  it('leaves the bootstrap superuser and predefined roles alone, and superusers out of the BYPASSRLS check', () => {
    const base = {
      superuser: false, createRole: false, createDb: false, replication: false, bypassRls: false, canLogin: true,
      inherit: true, password: 'none' as const, validUntil: null, connectionLimit: -1, memberOf: [], bootstrap: false, predefined: false,
    }
    const found = securityFindings(db, facts({
      roles: {
        passwordsReadable: true,
        roles: [
          { ...base, oid: 10, name: 'postgres', superuser: true, bypassRls: true, bootstrap: true },
          { ...base, oid: 3373, name: 'pg_monitor', canLogin: false, predefined: true },
          { ...base, oid: 20000, name: 'expiring', bypassRls: true, password: 'scram-sha-256', validUntil: new Date('2030-01-01') },
          { ...base, oid: 20001, name: 'nologin', bypassRls: true, canLogin: false },
        ],
      },
    }))
    expect(found).toEqual([])
  })
})
