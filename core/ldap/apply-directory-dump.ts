import type { EntityView } from '#core/index/apply-transaction.ts';
import {
  DIRECTORY_SCOPE,
  type DirectoryEntity,
  directoryKey,
  type EntityState,
  type NameEntity,
  nameKey,
} from '#core/index/index-entity.ts';
import type { DirectoryObject } from '#core/ldap/directory-objects.ts';
import { isSecretAttribute } from '#core/ldap/secret-attributes.ts';

/**
 * Applies one LDAP dump to the directory scope: an object whose attributes changed gets a new version, one
 * missing from the dump is deleted, and each name records what it meant (an alias: its account). The
 * view must hold the whole directory scope (`list` is complete).
 */
export function applyDirectoryDump(objects: readonly DirectoryObject[], view: EntityView): void {
  const wanted = new Map<string, EntityState>();
  for (const o of objects) {
    const attributes = Object.fromEntries(
      Object.entries(o.attributes).filter(([name]) => !isSecretAttribute(name)),
    );
    const entity: DirectoryEntity = {
      kind: 'directory',
      object: o.kind,
      name: o.name,
      ...(o.targetId ? { targetId: o.targetId } : {}),
      attributes,
    };
    wanted.set(directoryKey(o.zimbraId), entity);
    const name: NameEntity = { kind: 'name', zimbraId: o.targetId ?? o.zimbraId, object: o.kind };
    wanted.set(nameKey(o.name), name);
  }
  for (const [key] of [...view.list(DIRECTORY_SCOPE)])
    if (!wanted.has(key)) view.set(DIRECTORY_SCOPE, key, null);
  for (const [key, state] of wanted) {
    const current = view.get(DIRECTORY_SCOPE, key);
    if (!current || canonical(current) !== canonical(state)) view.set(DIRECTORY_SCOPE, key, state);
  }
}

/** JSON with sorted keys: equal states compare equal whatever order the dump listed attributes in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
