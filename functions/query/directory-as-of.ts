import { DIRECTORY_SCOPE, type DirectoryEntity, type NameEntity } from '#core/index/index-entity.ts';
import { scopeAsOf } from '#functions/query/mailbox-as-of.ts';

export interface DirectoryAsOf {
  /** Objects by zimbraId. */
  objects: Map<string, DirectoryEntity>;
  /** Names (lower case) to what they meant. */
  names: Map<string, NameEntity>;
}

/** A server's directory as its LDAP dumps had it at `time` (the latest dump at or before it). */
export async function directoryAsOf(table: string, serverId: string, time: number): Promise<DirectoryAsOf> {
  const { entities } = await scopeAsOf(table, serverId, DIRECTORY_SCOPE, time);
  const objects = new Map<string, DirectoryEntity>();
  const names = new Map<string, NameEntity>();
  for (const [key, entity] of entities) {
    if (entity.kind === 'directory') objects.set(key.slice('dir:'.length), entity);
    else if (entity.kind === 'name') names.set(key.slice('name:'.length), entity);
  }
  return { objects, names };
}
