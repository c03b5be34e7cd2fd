import { describe, expect, it } from 'vitest'
import { plannedRelations, protectedReadsMessage, textRefusal } from './protected-catalogs'

// The parts that need no server; custom-rules-catalogs.test.ts runs the whole check on a real one.

describe('textRefusal', () => {
  const only = 'rules read table data only'

  it('finds a function that runs a query of its own however it is written', () => {
    for (const text of [
      "select query_to_xml('select 1', true, false, '')",
      "select PG_CATALOG.Query_To_Xml('select 1', true, false, '')",
      "select \"query_to_xml\"/* a comment */('select 1', true, false, '')",
      'select * from ts_stat($$select to_tsvector(x) from t$$)',
      'select lo_get(16385)',
    ]) {
      expect(textRefusal(text, only), text).toMatch(/^The query calls (query_to_xml|ts_stat|lo_get), which reads data outside the query's plan: rules read table data only\.$/)
    }
  })

  it('refuses U& identifiers, which could spell one with escapes', () => {
    expect(textRefusal('select U&"quer\\0079_to_xml"(1)', only)).toBe('The query spells an identifier with U&"…" escapes: write names plainly.')
    expect(textRefusal('select u&"x" from t', only)).not.toBeNull()
  })

  it('leaves other names alone, even ones that contain a refused name', () => {
    for (const text of ['select my_query_to_xml_log from t', 'select id from lo_gets', 'select $1::text as query_to_xml2', "select U&'\\0041' as a"]) {
      expect(textRefusal(text, only), text).toBeNull()
    }
  })
})

describe('plannedRelations', () => {
  it('collects scans from every node: InitPlans, SubPlans and CTEs included', () => {
    const plan = [
      {
        Plan: {
          'Node Type': 'Hash Join',
          Plans: [
            { 'Node Type': 'Seq Scan', 'Relation Name': 'meeting', Schema: 'public', Alias: 'm' },
            { 'Node Type': 'CTE Scan', 'CTE Name': 'r', Plans: [{ 'Node Type': 'Seq Scan', 'Parent Relationship': 'InitPlan', 'Relation Name': 'pg_authid', Schema: 'pg_catalog' }] },
            { 'Node Type': 'Result', Plans: [{ 'Parent Relationship': 'SubPlan', 'Node Type': 'Index Scan', 'Relation Name': 'odd "name"', Schema: 'ünïcode schema' }] },
          ],
        },
      },
    ]
    expect(plannedRelations(plan)).toEqual([
      { schema: 'public', relation: 'meeting' },
      { schema: 'pg_catalog', relation: 'pg_authid' },
      { schema: 'ünïcode schema', relation: 'odd "name"' },
    ])
    expect(plannedRelations([{ Plan: { 'Node Type': 'Result' } }])).toEqual([])
  })
})

describe('protectedReadsMessage', () => {
  it('says what may not be read, and for pg_authid what to use instead', () => {
    expect(protectedReadsMessage(['pg_catalog.pg_statistic'], 'rules read table data only')).toBe(
      'The query reads pg_catalog.pg_statistic, which PUBLIC may not read: rules read table data only.',
    )
    expect(protectedReadsMessage(['pg_catalog.pg_authid'], 'rules read table data only')).toMatch(/pg_get_userbyid\(oid\) gives a role’s name\.$/)
  })
})
