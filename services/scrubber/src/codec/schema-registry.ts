/**
 * Stands in for a schema registry: `schemas/registry.json` maps Confluent schema ids to
 * .avsc files. Loaded once at startup; every id is parsed, compiled and checked eagerly so a
 * broken schema fails the deploy, not the first record that uses it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type * as avsc from 'avsc';
import { ErrorCodes, SluiceError } from '../errors';
import { compileNode, typeForSchema } from './avro-node';
import type { AvroNode } from './avro-node';

export interface RegisteredSchema {
  readonly id: number;
  /** Schema file name relative to the registry file. */
  readonly file: string;
  /** Full name, e.g. io.sluice.ChatMessage. */
  readonly name: string;
  readonly type: avsc.Type;
  readonly node: AvroNode;
}

/** The repository's registry: schemas/registry.json, found from src/codec or dist/codec alike. */
export const DEFAULT_REGISTRY_PATH = resolve(__dirname, '../../../../schemas/registry.json');

export class SchemaRegistry {
  private readonly byId: ReadonlyMap<number, RegisteredSchema>;

  private constructor(byId: Map<number, RegisteredSchema>) {
    this.byId = byId;
  }

  /** Load a registry file: `{ "schemas": { "<id>": "<file.avsc>" } }`; files resolve relative to it. */
  static load(registryPath: string = DEFAULT_REGISTRY_PATH): SchemaRegistry {
    const base = dirname(registryPath);
    let map: unknown;
    try {
      map = (JSON.parse(readFileSync(registryPath, 'utf8')) as { schemas?: unknown }).schemas;
    } catch (cause) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `cannot read schema registry ${registryPath}`, {
        cause,
        hint: 'check the registry path',
      });
    }
    if (map === null || typeof map !== 'object') {
      throw new SluiceError(
        ErrorCodes.CONFIG_INVALID,
        `schema registry ${registryPath} has no "schemas" object`,
        {
          hint: 'expected { "schemas": { "1": "file.avsc" } }',
        },
      );
    }
    const entries: [number, avsc.Schema, string][] = [];
    for (const [key, file] of Object.entries(map as Record<string, unknown>)) {
      const id = Number(key);
      if (!/^\d+$/.test(key) || id > 0xffffffff || typeof file !== 'string') {
        throw new SluiceError(
          ErrorCodes.CONFIG_INVALID,
          `schema registry ${registryPath}: entry ${JSON.stringify(key)} is invalid`,
          {
            hint: 'ids are unsigned 32-bit integers mapping to a file name',
          },
        );
      }
      let schema: avsc.Schema;
      try {
        schema = JSON.parse(readFileSync(join(base, file), 'utf8')) as avsc.Schema;
      } catch (cause) {
        throw new SluiceError(ErrorCodes.CONFIG_INVALID, `schema ${file} (id ${id}) cannot be read`, {
          cause,
        });
      }
      entries.push([id, schema, file]);
    }
    return SchemaRegistry.fromSchemas(entries);
  }

  /** Build from in-memory schemas (tests, or a real registry client fetching by id). */
  static fromSchemas(entries: Iterable<readonly [number, avsc.Schema, string?]>): SchemaRegistry {
    const byId = new Map<number, RegisteredSchema>();
    for (const [id, schema, file] of entries) {
      let type: avsc.Type;
      try {
        type = typeForSchema(schema);
      } catch (cause) {
        throw new SluiceError(ErrorCodes.CONFIG_INVALID, `schema id ${id} is not valid Avro`, { cause });
      }
      byId.set(
        id,
        Object.freeze({
          id,
          file: file ?? `#${id}`,
          name: type.name ?? type.typeName,
          type,
          node: compileNode(type),
        }),
      );
    }
    return new SchemaRegistry(byId);
  }

  ids(): number[] {
    return [...this.byId.keys()];
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** The schema for an id, or UNKNOWN_SCHEMA. */
  get(id: number): RegisteredSchema {
    const s = this.byId.get(id);
    if (!s) {
      throw new SluiceError(ErrorCodes.UNKNOWN_SCHEMA, `schema id ${id} is not in the registry`, {
        hint: 'add the schema to schemas/registry.json or fix the producer',
      });
    }
    return s;
  }

  /** Look a schema up by full name (io.sluice.ChatMessage); the highest id wins. */
  byName(name: string): RegisteredSchema | undefined {
    let found: RegisteredSchema | undefined;
    for (const s of this.byId.values()) if (s.name === name && (!found || s.id > found.id)) found = s;
    return found;
  }
}
