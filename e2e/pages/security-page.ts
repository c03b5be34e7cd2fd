import type { Locator, Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** /security: findings, roles, the privilege grid (filtered through its form) and the setup script. */
export class SecurityPage {
  readonly heading: Locator
  readonly findings: Locator
  readonly summary: Locator
  readonly roles: DataTablePart
  readonly grid: DataTablePart
  readonly gridSchema: Locator
  readonly gridName: Locator
  readonly gridShow: Locator
  readonly gridSummary: Locator
  readonly definers: DataTablePart
  readonly rls: DataTablePart
  readonly hba: Locator
  readonly connections: DataTablePart
  readonly generate: Locator
  readonly setupScript: Locator
  readonly setupEnvironment: Locator

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Security' })
    this.findings = page.getByTestId('security-findings')
    this.summary = page.getByTestId('security-summary')
    this.roles = new DataTablePart(page.getByTestId('security-roles'))
    this.grid = new DataTablePart(page.getByTestId('security-table-grid'))
    this.gridSchema = page.getByTestId('grid-schema')
    this.gridName = page.getByTestId('grid-name')
    this.gridShow = page.getByRole('form', { name: 'Choose the objects of the grid' }).getByRole('button', { name: 'Show' })
    this.gridSummary = page.getByTestId('grid-summary')
    this.definers = new DataTablePart(page.getByTestId('security-definers'))
    this.rls = new DataTablePart(page.getByTestId('security-rls'))
    this.hba = page.locator('#hba')
    this.connections = new DataTablePart(page.getByTestId('security-connections'))
    this.generate = page.getByRole('button', { name: 'Generate the setup script' })
    this.setupScript = page.getByTestId('setup-script-sql')
    this.setupEnvironment = page.getByTestId('setup-environment')
  }

  async goto(query: Record<string, string> = {}) {
    const qs = new URLSearchParams(query).toString()
    await this.page.goto(qs ? `/security?${qs}` : '/security')
  }

  /** One finding, by its check and subject. */
  finding(check: string, subject: string): Locator {
    return this.findings.locator(`li[data-check="${cssString(check)}"][data-subject="${cssString(subject)}"]`)
  }

  /** The fix SQL a finding shows. */
  fixSql(finding: Locator): Locator {
    return finding.locator('pre')
  }

  /** Copies a finding's fix SQL with its button. */
  async copyFix(finding: Locator) {
    await finding.getByRole('button', { name: /^Copy fix/ }).click()
  }

  /** The grid's column of one grantee. */
  granteeColumn(grantee: string): Locator {
    return this.grid.root.locator(`th[data-grantee="${cssString(grantee)}"]`)
  }

  /** A privilege a grid row shows, by its name ("SELECT" is shown as r). */
  privilege(row: Locator, name: string): Locator {
    return row.locator(`abbr[title="${cssString(name)}"]`)
  }
}

/** The inside of a double-quoted CSS string. */
function cssString(s: string): string {
  return s.replace(/["\\]/g, (c) => `\\${c}`)
}
