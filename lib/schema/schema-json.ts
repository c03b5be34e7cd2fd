import type { SchemaModel } from './types'

/** The stable JSON shape of `dbadmin schema --json`: schemas → tables, and enums. */
export function schemaToJson(model: SchemaModel) {
  return {
    database: model.database,
    serverVersion: model.serverVersion,
    schemas: model.schemas.map((s) => ({
      name: s.name,
      tables: model.relations
        .filter((r) => r.schema === s.name)
        .map((r) => ({
          name: r.name,
          kind: r.kind,
          rowEstimate: r.rowEstimate,
          totalBytes: r.totalBytes,
          columns: r.columns.map((c) => ({
            name: c.name,
            type: c.type,
            nullable: c.nullable,
            default: c.default,
            identity: c.identity,
            generated: c.generated,
          })),
          primaryKey: r.primaryKey?.columns ?? null,
          foreignKeys: r.foreignKeys.map((fk) => ({
            name: fk.name,
            columns: fk.columns,
            refSchema: fk.refSchema,
            refTable: fk.refTable,
            refColumns: fk.refColumns,
            onDelete: fk.onDelete,
            onUpdate: fk.onUpdate,
            deferrable: fk.deferrable,
            validated: fk.validated,
          })),
          indexes: r.indexes.map((i) => ({
            name: i.name,
            columns: i.columns,
            unique: i.unique,
            primary: i.primary,
            valid: i.valid,
            definition: i.definition,
            sizeBytes: i.sizeBytes,
            scans: i.scans,
          })),
          constraints: r.constraints.map((c) => ({
            name: c.name,
            kind: c.kind,
            columns: c.columns,
            definition: c.definition,
            validated: c.validated,
          })),
        })),
    })),
    enums: model.enums.map((e) => ({ schema: e.schema, name: e.name, values: e.values, usedBy: e.usedBy })),
    sequences: model.sequences.map((s) => ({
      schema: s.schema,
      name: s.name,
      dataType: s.dataType,
      lastValue: s.lastValue,
      maxValue: s.maxValue,
      usedShare: s.usedShare,
      ownedBy: s.ownedBy,
    })),
    limitations: model.limitations,
  }
}
