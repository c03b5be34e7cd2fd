import type { ReactNode } from 'react'
import { Suspense } from 'react'
import { z } from 'zod'
import { TableSkeleton } from '@/components/skeletons'
import { requireUser } from '@/lib/auth/current-user'
import type { SecurityOverview } from '@/lib/security/report'
import { DefaultPrivilegesTable, DefinerTable, PublicRightsTable, RowSecurityTables } from './_components/catalog-tables'
import { FindingsList, SeverityBadge, severityCounts } from './_components/findings-list'
import { HbaTable } from './_components/hba-table'
import { PrivilegeGridTable, PrivilegeLegend } from './_components/privilege-grid'
import { RolesTable } from './_components/roles-table'
import { loadOverview } from './_components/security-data'
import { SetupSection } from './_components/setup-section'
import { TableGridSection } from './_components/table-grid-section'
import { ConnectionsTable, ServerSettingsCards } from './_components/transport-section'

const GridParams = z.object({
  schema: z.string().max(63).optional().catch(undefined),
  name: z.string().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1).default(1),
})

const SECTIONS = [
  ['findings', 'Findings'],
  ['roles', 'Roles'],
  ['table-privileges', 'Table privileges'],
  ['schema-privileges', 'Schema privileges'],
  ['default-privileges', 'Default privileges'],
  ['public-rights', 'PUBLIC'],
  ['encryption', 'Passwords and SSL'],
  ['hba', 'pg_hba.conf'],
  ['definers', 'SECURITY DEFINER'],
  ['rls', 'Row-level security'],
  ['least-privilege', 'Least-privilege setup'],
] as const

/** A part of the overview, in its own Suspense boundary; every part shares the one read per request. */
async function OverviewPart({ render }: { render: (overview: SecurityOverview) => ReactNode }) {
  return render(await loadOverview())
}

function Part({ rows = 4, render }: { rows?: number; render: (overview: SecurityOverview) => ReactNode }) {
  return (
    <Suspense fallback={<TableSkeleton rows={rows} />}>
      <OverviewPart render={render} />
    </Suspense>
  )
}

function Section({ id, title, intro, children }: { id: string; title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section id={id} aria-labelledby={`${id}-heading`} className="security-section">
      <h2 id={`${id}-heading`}>{title}</h2>
      {intro ? <p className="muted">{intro}</p> : null}
      {children}
    </section>
  )
}

export default async function SecurityPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser('security.read')
  const raw = await searchParams
  const grid = GridParams.parse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v)))
  return (
    <>
      <h1>Security</h1>
      <nav className="section-nav" aria-label="Sections">
        {SECTIONS.map(([id, label]) => (
          <a key={id} href={`#${id}`}>
            {label}
          </a>
        ))}
      </nav>
      <Part
        rows={1}
        render={(o) => (
          <p className="muted" data-testid="security-read-as">
            Database <code>{o.database}</code>, read as role <code>{o.sessionUser}</code>
            {o.sessionUserIsSuperuser ? ' (a superuser: everything is visible)' : ' (not a superuser: see below what it could not read)'}.
          </p>
        )}
      />

      <Section id="findings" title="Findings" intro="Risky settings, most severe first, each with why it matters and the SQL that removes it.">
        <Part
          rows={6}
          render={(o) => (
            <>
              <p data-testid="security-summary">
                {o.findings.length === 0
                  ? 'Nothing risky found.'
                  : severityCounts(o.findings).map(([s, n]) => (
                      <span key={s} style={{ marginRight: 8 }}>
                        <SeverityBadge severity={s} /> {n}
                      </span>
                    ))}
              </p>
              <FindingsList findings={o.findings} notes={o.notes} />
            </>
          )}
        />
      </Section>

      <Section id="roles" title="Roles" intro="Every role of the cluster with its attributes, how its password is stored, and the roles it is a member of.">
        <Part render={(o) => <RolesTable roles={o.roles.roles} />} />
      </Section>

      <Section id="table-privileges" title="Table privileges" intro="Who may do what on each table, view and sequence of this database: one column per role that holds anything on the objects shown.">
        <PrivilegeLegend />
        <Suspense key={JSON.stringify(grid)} fallback={<TableSkeleton rows={8} />}>
          <TableGridSection query={grid} />
        </Suspense>
      </Section>

      <Section id="schema-privileges" title="Schema privileges" intro="USAGE (U) lets a role look objects up in a schema; CREATE (C) lets it add objects there.">
        <Part
          render={(o) => <PrivilegeGridTable grid={o.schemaPrivileges} label="Privileges on schemas" testId="security-schema-grid" empty="This database has no schemas of its own." />}
        />
      </Section>

      <Section id="default-privileges" title="Default privileges" intro="Grants that objects created later will get (ALTER DEFAULT PRIVILEGES).">
        <Part render={(o) => <DefaultPrivilegesTable entries={o.defaultPrivileges} />} />
      </Section>

      <Section id="public-rights" title="Rights of PUBLIC" intro="PUBLIC is every role, including ones created later. CREATE for PUBLIC lets any role add objects; before PostgreSQL 15 every database granted it on schema public.">
        <Part render={(o) => <PublicRightsTable rights={o.publicRights} />} />
      </Section>

      <Section id="encryption" title="Passwords and SSL" intro="How new passwords are stored, whether the server offers SSL, and which current sessions use it (pg_stat_ssl).">
        <Part
          render={(o) => (
            <>
              <ServerSettingsCards settings={o.settings} />
              <ConnectionsTable connections={o.connections} />
            </>
          )}
        />
      </Section>

      <Section id="hba" title="pg_hba.conf" intro="Who may connect from where, and how they prove who they are (pg_hba_file_rules).">
        <Part render={(o) => <HbaTable hba={o.hba} />} />
      </Section>

      <Section id="definers" title="SECURITY DEFINER functions" intro="They run with their owner’s rights; without a fixed search_path a caller can make them run the caller’s own code.">
        <Part render={(o) => <DefinerTable functions={o.definerFunctions} />} />
      </Section>

      <Section id="rls" title="Row-level security" intro="Tables with policies, and whether row-level security is enabled so that the policies apply.">
        <Part render={(o) => <RowSecurityTables tables={o.rowSecurity} />} />
      </Section>

      <Section id="least-privilege" title="Least-privilege setup for the dashboard">
        <Part rows={3} render={(o) => <SetupSection database={o.database} />} />
      </Section>
    </>
  )
}
