import type { DirectoryEntity } from '#core/index/index-entity.ts';

/**
 * The directory objects a selection needs: the accounts with their aliases and their domains, everything
 * in a named domain, every class of service (accounts refer to them), or with `all` everything.
 */
export function chooseDirectoryObjects(
  objects: ReadonlyMap<string, DirectoryEntity>,
  accountIds: ReadonlySet<string>,
  domains: readonly string[],
  all: boolean,
): Map<string, DirectoryEntity> {
  const lower = domains.map((d) => d.toLowerCase());
  const accountDomains = new Set(
    [...accountIds].map((id) => objects.get(id)?.name.split('@')[1]).filter((d) => d !== undefined),
  );
  const chosen = new Map<string, DirectoryEntity>();
  for (const [id, object] of objects) {
    const inDomain = lower.some((d) => object.name === d || object.name.endsWith(`@${d}`));
    const ofAccount =
      accountIds.has(id) || (object.targetId !== undefined && accountIds.has(object.targetId));
    const accountDomain = object.object === 'domain' && accountDomains.has(object.name);
    if (all || inDomain || ofAccount || accountDomain || object.object === 'cos') chosen.set(id, object);
  }
  return chosen;
}
