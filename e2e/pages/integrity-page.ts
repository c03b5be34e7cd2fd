import { expect, type Locator, type Page } from '@playwright/test'
import { DataTablePart } from './data-table'

/** A field by its accessible name, which leaves out the error shown inside its label. */
export const field = (form: Locator, name: string) => form.getByRole('textbox', { name, exact: true })

/** /integrity: the run controls, the results by section, and the settings panels below. */
export class IntegrityPage {
  readonly relations: DataTablePart
  readonly fixJobs: DataTablePart
  readonly latestRun: Locator
  readonly resultsSummary: Locator
  readonly runControls: Locator
  readonly customRules: Locator
  readonly addRule: Locator
  readonly enumSets: Locator
  readonly roleRules: Locator
  readonly addSoftRelation: Locator

  constructor(readonly page: Page) {
    this.relations = new DataTablePart(page.getByTestId('relations-table'))
    this.fixJobs = new DataTablePart(page.getByTestId('fix-jobs'))
    this.latestRun = page.getByTestId('latest-run')
    this.resultsSummary = page.getByTestId('results-summary')
    this.runControls = page.getByTestId('run-checks')
    this.customRules = page.getByTestId('custom-rules')
    this.addRule = this.customRules.getByTestId('add-rule')
    this.enumSets = page.getByTestId('enum-sets')
    this.roleRules = page.getByTestId('role-rules')
    this.addSoftRelation = page.getByTestId('add-soft-relation')
  }

  async goto() {
    await this.page.goto('/integrity')
  }

  relationRow(relation: string): Locator {
    return this.relations.row('relation', relation)
  }

  /** A result row of a section (constraints, enums, roles, dor-rules) for one check, narrowed by its text. */
  finding(section: string, check: string, text?: string): Locator {
    const rows = new DataTablePart(this.page.getByTestId(`findings-${section}`)).row('check', check)
    return text ? rows.filter({ hasText: text }) : rows
  }

  /** What a result row says: its count badge, values, advice SQL and relation source. */
  count(row: Locator): Locator {
    return row.getByTestId('finding-count')
  }

  values(row: Locator): Locator {
    return row.getByTestId('finding-values')
  }

  adviceSql(row: Locator): Locator {
    return row.getByTestId('advice-sql')
  }

  source(row: Locator): Locator {
    return row.getByTestId('relation-source')
  }

  rule(name: string): Locator {
    return this.customRules.locator(`details[data-rule="${name}"]`)
  }

  /** Starts a run from the page and waits, without reloading, for the page to show it finished. */
  async runAllChecks(): Promise<string> {
    await this.goto()
    await this.runControls.getByRole('button', { name: 'Run all checks' }).click()
    const status = this.runControls.getByRole('status')
    await expect(status).toHaveText(/^Started integrity run #\d+\.$/)
    const id = (await status.textContent())!.match(/#(\d+)/)![1]
    await expect(this.latestRun).toHaveAttribute('data-run-id', id)
    // The page refreshes itself every 2 s while the run is queued or running.
    await expect(this.latestRun).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 })
    await expect(this.resultsSummary).toHaveAttribute('data-run-id', id)
    // Finished: no progress left behind, and no "Started" line about a run that is over.
    await expect(this.page.getByTestId('run-progress')).toHaveCount(0)
    await expect(status).toHaveCount(0)
    return id
  }

  /** Adds a custom rule through its form; the status it answers. */
  async addCustomRule(name: string, query: string): Promise<Locator> {
    // React resets the form once the action and the refresh after it are done: fill after that.
    await expect(this.addRule.getByRole('button', { name: 'Add rule' })).toBeEnabled()
    await field(this.addRule, 'Name').fill(name)
    await field(this.addRule, 'SELECT returning the violating rows').fill(query)
    await this.addRule.getByRole('button', { name: 'Add rule' }).click()
    return this.addRule.getByRole('status')
  }

  /** Fills one of the settings forms (value sets, role rules) field by field and submits it. */
  async submit(form: Locator, fields: Record<string, string>, button: string) {
    for (const [name, value] of Object.entries(fields)) await field(form, name).fill(value)
    await form.getByRole('button', { name: button }).click()
  }
}

/** /integrity/relation?…: one relation's orphans, its fix form and its fixes. */
export class RelationOrphansPage {
  readonly summary: Locator
  readonly samples: DataTablePart
  readonly fixPanel: Locator
  readonly fixJobs: DataTablePart

  constructor(readonly page: Page) {
    this.summary = page.getByTestId('orphan-summary')
    this.samples = new DataTablePart(page.getByTestId('orphan-samples'))
    this.fixPanel = page.getByTestId('fix-panel')
    this.fixJobs = new DataTablePart(page.getByTestId('fix-jobs'))
  }

  async goto(query: Record<string, string>) {
    return this.page.goto(`/integrity/relation?${new URLSearchParams(query)}`)
  }

  heading(): Locator {
    return this.summary.getByRole('heading')
  }
}
