import fs from "node:fs/promises";
import { getDMMF } from "@prisma/internals";
import type { SqlSession } from "@/lib/db/sql";

/**
 * A database schema reduced to what Prisma relies on, built either from
 * schema.prisma (what Prisma expects) or from PostgreSQL's catalog (what the
 * migrations produced), so the two can be compared with one toEqual.
 */
export interface SchemaShape {
  enums: Record<string, string[]>;
  tables: Record<string, Record<string, string>>;
  indexes: string[];
  foreignKeys: string[];
}

type Dmmf = Awaited<ReturnType<typeof getDMMF>>;
type DmmfModel = Dmmf["datamodel"]["models"][number];
type DmmfField = DmmfModel["fields"][number];

const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "int4",
  BigInt: "int8",
  Float: "float8",
  Decimal: "numeric",
  Boolean: "bool",
  DateTime: "timestamp(3)",
  Json: "jsonb",
  Bytes: "bytea",
};
const NATIVE_TYPES: Record<string, string> = { Date: "date", Uuid: "uuid" };
// Defaults Prisma Client fills in itself; the column has none.
const CLIENT_SIDE_DEFAULTS = new Set(["cuid", "uuid", "nanoid", "ulid"]);
const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: "CASCADE",
  Restrict: "RESTRICT",
  SetNull: "SET NULL",
  NoAction: "NO ACTION",
  SetDefault: "SET DEFAULT",
};
const PG_ACTIONS: Record<string, string> = { c: "CASCADE", r: "RESTRICT", n: "SET NULL", a: "NO ACTION", d: "SET DEFAULT" };

const describeColumn = (type: string, nullable: boolean, hasDefault: boolean) =>
  `${type}${nullable ? " null" : " not null"}${hasDefault ? " default" : ""}`;
const describeIndex = (table: string, kind: string, columns: string[], name: string) =>
  `${table} ${kind} (${columns.join(", ")}) ${name}`;
const describeForeignKey = (
  table: string,
  columns: string[],
  target: string,
  targetColumns: string[],
  onDelete: string,
  onUpdate: string,
  name: string,
) =>
  `${table}(${columns.join(", ")}) -> ${target}(${targetColumns.join(", ")}) on delete ${onDelete} on update ${onUpdate} ${name}`;

export async function shapeFromPrismaSchema(schemaPath = "prisma/schema.prisma"): Promise<SchemaShape> {
  const dmmf = await getDMMF({ datamodel: await fs.readFile(schemaPath, "utf8") });
  const { models, enums, indexes } = dmmf.datamodel;
  const tableOf = (modelName: string) => {
    const model = models.find((m) => m.name === modelName)!;
    return model.dbName ?? model.name;
  };
  const columnOf = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((f) => f.name === fieldName)!;
    return field.dbName ?? field.name;
  };

  const columnType = (field: DmmfField) => {
    const nativeType = field.nativeType?.[0];
    const base = nativeType ? NATIVE_TYPES[nativeType] : field.kind === "enum" ? field.type : SCALAR_TYPES[field.type];
    if (!base) throw new Error(`No column type known for ${field.name}: ${field.type} ${nativeType ?? ""}`);
    return field.isList ? `${base}[]` : base;
  };
  const hasDbDefault = (field: DmmfField) => {
    if (!field.hasDefaultValue) return false;
    const fn = field.default as { name?: string } | undefined;
    return !(fn?.name && CLIENT_SIDE_DEFAULTS.has(fn.name));
  };

  const tables: SchemaShape["tables"] = {};
  const foreignKeys: string[] = [];
  for (const model of models) {
    const table = model.dbName ?? model.name;
    tables[table] = {};
    for (const field of model.fields) {
      if (field.kind === "object") {
        if (!field.relationFromFields?.length) continue;
        const columns = field.relationFromFields.map((name) => columnOf(model, name));
        const target = models.find((m) => m.name === field.type)!;
        const onDelete = field.relationOnDelete ?? (field.isRequired ? "Restrict" : "SetNull");
        foreignKeys.push(
          describeForeignKey(
            table,
            columns,
            tableOf(field.type),
            (field.relationToFields ?? []).map((name) => columnOf(target, name)),
            REFERENTIAL_ACTIONS[onDelete]!,
            "CASCADE",
            `${table}_${columns.join("_")}_fkey`,
          ),
        );
        continue;
      }
      // Prisma never marks list columns NOT NULL.
      const nullable = field.isList || !field.isRequired;
      tables[table][field.dbName ?? field.name] = describeColumn(columnType(field), nullable, hasDbDefault(field));
    }
  }

  const suffix = { id: "pkey", unique: "key", normal: "idx" } as Record<string, string>;
  const kindName = { id: "primary", unique: "unique", normal: "index" } as Record<string, string>;
  const indexList = indexes.map((index) => {
    const model = models.find((m) => m.name === index.model)!;
    const table = model.dbName ?? model.name;
    const columns = index.fields.map((f) => columnOf(model, f.name));
    const defaultName = index.type === "id" ? `${table}_pkey` : `${table}_${columns.join("_")}_${suffix[index.type]}`;
    return describeIndex(table, kindName[index.type]!, columns, index.dbName ?? defaultName);
  });

  return {
    enums: Object.fromEntries(enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)])),
    tables,
    indexes: indexList.sort(),
    foreignKeys: foreignKeys.sort(),
  };
}

export async function shapeFromDatabase(session: SqlSession): Promise<SchemaShape> {
  const ignored = "_prisma_migrations";
  const enums = await session.query<{ name: string; labels: string[] }>(`
    SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' GROUP BY t.typname`);
  const columns = await session.query<{
    table_name: string;
    column_name: string;
    udt_name: string;
    is_nullable: string;
    column_default: string | null;
    datetime_precision: number | null;
  }>(`
    SELECT table_name, column_name, udt_name, is_nullable, column_default, datetime_precision
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> $1`, [ignored]);
  const indexes = await session.query<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[] }>(`
    SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
           array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
      FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     -- Partial indexes can't be declared in schema.prisma; they live in migrations only.
     WHERE n.nspname = 'public' AND t.relname <> $1 AND ix.indpred IS NULL`, [ignored]);
  const foreignKeys = await session.query<{
    name: string;
    table: string;
    target: string;
    on_delete: string;
    on_update: string;
    columns: string[];
    target_columns: string[];
  }>(`
    SELECT c.conname AS name, src.relname AS table, dst.relname AS target,
           c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update,
           array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
           array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS target_columns
      FROM pg_constraint c JOIN pg_class src ON src.oid = c.conrelid JOIN pg_class dst ON dst.oid = c.confrelid
      JOIN pg_namespace n ON n.oid = src.relnamespace
     WHERE c.contype = 'f' AND n.nspname = 'public'`);

  const tables: SchemaShape["tables"] = {};
  for (const column of columns) {
    const isArray = column.udt_name.startsWith("_");
    let type = isArray ? column.udt_name.slice(1) : column.udt_name;
    if (type === "timestamp") type = `timestamp(${column.datetime_precision})`;
    (tables[column.table_name] ??= {})[column.column_name] = describeColumn(
      isArray ? `${type}[]` : type,
      column.is_nullable === "YES",
      column.column_default !== null,
    );
  }

  return {
    enums: Object.fromEntries(enums.map((e) => [e.name, e.labels])),
    tables,
    indexes: indexes
      .map((index) =>
        describeIndex(
          index.table,
          index.primary ? "primary" : index.unique ? "unique" : "index",
          index.columns,
          index.name,
        ),
      )
      .sort(),
    foreignKeys: foreignKeys
      .map((fk) =>
        describeForeignKey(fk.table, fk.columns, fk.target, fk.target_columns, PG_ACTIONS[fk.on_delete]!, PG_ACTIONS[fk.on_update]!, fk.name),
      )
      .sort(),
  };
}
