import type { DirectoryEntity } from '#core/index/index-entity.ts';
import { mailboxStateOf } from '#core/index/mailbox-state-of.ts';
import { chooseDirectoryObjects } from '#core/ldap/choose-directory-objects.ts';
import { attr, type DirectoryEntry, dnDepth } from '#core/ldap/directory-entry.ts';
import { formatLdif } from '#core/ldap/ldif.ts';
import { FOLDER_ID } from '#core/mail-item.ts';
import { type FolderState, type MailboxState, systemFolders, VIEW } from '#core/mail-snapshot.ts';
import {
  accountDir,
  BUNDLE_FORMAT,
  documentFile,
  messageFile,
  type UnrestoredItem,
} from '#core/restore/bundle-manifest.ts';
import { directoryEntryOf, renamedAccountEntry } from '#core/restore/directory-entries-of.ts';
import { positionOfSequence, type RestorePoint } from '#core/restore/restore-point.ts';
import { type RestoreParams, targetAccountName, toMs } from '#core/restore/restore-request.ts';
import { deletedBetween, itemsAt, stateAt, stateIgnoringDeletes } from '#core/restore/restore-selection.ts';
import { accountNameProblem } from '#core/restore/safe-name.ts';
import { directoryAsOf } from '#functions/query/directory-as-of.ts';
import { scopeAsOf } from '#functions/query/mailbox-as-of.ts';
import { listServers } from '#functions/query/resolve-account.ts';
import { uncertainAt } from '#functions/query/uncertain-marks.ts';
import { writeAddressBooks } from '#functions/restore/address-book-files.ts';
import { calendarItemsOf, writeCalendarFiles } from '#functions/restore/calendar-files.ts';
import { cachedDirectoryReader, type DirectoryReader } from '#functions/restore/directory-reader.ts';
import { directorySecretsAt } from '#functions/restore/directory-secrets.ts';
import { RestorePlanError } from '#functions/restore/errors.ts';
import { mailboxRecords, recordsEndedBetween } from '#functions/restore/mailbox-records.ts';
import { operationObject, putBytes, putJson } from '#functions/restore/operation-objects.ts';
import type { AccountPlan, RestoreSummary, WorkFile } from '#functions/restore/restore-plan.ts';
import { type RestoreSource, restoreSources } from '#functions/restore/restore-sources.ts';

export interface RestorePlanTarget {
  readonly indexTable: string;
  readonly backupBucket: string;
}

/**
 * Plans a restore: resolves the accounts and the instant, reads each mailbox's state for the mode, writes
 * each account's planned manifest and LDIF, and splits the messages into work files of `chunkItems`. Work
 * items alternate between accounts, so one huge mailbox does not hold the others back. Returns the number
 * of work items (at least one, so that an empty restore still finalizes).
 */
export async function planRestore(
  target: RestorePlanTarget,
  operationId: string,
  params: RestoreParams,
  now = Date.now(),
): Promise<RestoreSummary> {
  const point: RestorePoint =
    'sequence' in params && params.sequence !== undefined
      ? { position: positionOfSequence(params.sequence) }
      : { time: 'at' in params && params.at !== undefined ? toMs(params.at) : now };
  const summary: RestoreSummary = {
    operationId,
    mode: params.mode,
    createdAt: new Date(now).toISOString(),
    point: 'time' in point ? { time: new Date(point.time).toISOString() } : { position: point.position },
    accounts: [],
    workItems: 0,
  };
  if (params.mode === 'ldap') {
    const { ldif, entries, secrets } = await directoryLdif(
      target,
      params,
      'time' in point ? point.time : now,
    );
    const sha256 = await putBytes(
      target.backupBucket,
      operationObject.bundle(operationId, 'directory.ldif'),
      ldif,
      'text/plain',
    );
    summary.directory = { file: 'directory.ldif', sha256, entries, ...(secrets ? { secrets } : {}) };
    return writeRestorePlan(target, summary, params, []);
  }
  const directory = cachedDirectoryReader(target.indexTable);
  const sources = await restoreSources(target.indexTable, params, point, now, directory);
  return writeRestorePlan(target, summary, params, sources, now, directory);
}

/**
 * Writes the plan of a restore whose mailboxes are resolved (each at its own point): each account's planned
 * manifest and LDIF, the work files (messages in turns between accounts, at most `chunkItems` each) and the
 * summary. A restore drill plans through here too, with the accounts and instants it picked.
 */
export async function writeRestorePlan(
  target: RestorePlanTarget,
  summary: RestoreSummary,
  params: RestoreParams,
  sources: readonly RestoreSource[],
  now = Date.now(),
  directory: DirectoryReader = cachedDirectoryReader(target.indexTable),
): Promise<RestoreSummary> {
  const operationId = summary.operationId;
  const chunks: WorkFile[][] = [];
  if (params.mode !== 'ldap')
    for (const [index, source] of sources.entries()) {
      const plan = await accountPlan(target, operationId, params, source, index, now, directory);
      await putJson(target.backupBucket, operationObject.accountPlan(operationId, index), plan);
      const files: WorkFile[] = [];
      const copies: WorkFile['messages'] = [
        ...plan.messages.map((m) => ({ id: m.id, sha256: m.sha256, size: m.size, digest: m.digest })),
        ...plan.documents.flatMap((d) =>
          d.revisions.map((r) => ({ id: d.id, sha256: r.sha256, size: r.size, file: r.file })),
        ),
      ];
      for (let start = 0; start < copies.length || start === 0; start += params.chunkItems)
        files.push({ account: index, messages: copies.slice(start, start + params.chunkItems) });
      chunks.push(files);
      summary.accounts.push({ index, name: source.name, target: plan.target, chunks: files.length });
    }
  const interleaved = roundRobin(chunks);
  if (interleaved.length === 0) interleaved.push({ account: -1, messages: [] });
  for (const [index, file] of interleaved.entries())
    await putJson(target.backupBucket, operationObject.work(operationId, index), file);
  summary.workItems = interleaved.length;
  await putJson(target.backupBucket, operationObject.summary(operationId), summary);
  return summary;
}

async function accountPlan(
  target: RestorePlanTarget,
  operationId: string,
  params: Exclude<RestoreParams, { mode: 'ldap' }>,
  source: RestoreSource,
  index: number,
  now: number,
  directory: DirectoryReader,
): Promise<AccountPlan> {
  const table = target.indexTable;
  const unrestored: UnrestoredItem[] = [];
  let state: MailboxState;
  switch (params.mode) {
    case 'point-in-time':
      if (params.skipDeletes || !('time' in source.point))
        state = (params.skipDeletes ? stateIgnoringDeletes : stateAt)(
          source.mailbox,
          await mailboxRecords(table, source),
          source.point,
        );
      else {
        const { entities } = await scopeAsOf(table, source.serverId, source.mailboxId, source.point.time);
        state = mailboxStateOf(source.mailbox, entities);
      }
      break;
    case 'deleted-account': {
      const { entities } = await scopeAsOf(
        table,
        source.serverId,
        source.mailboxId,
        (source.point as { time: number }).time,
      );
      state = mailboxStateOf(source.mailbox, entities);
      break;
    }
    case 'undelete': {
      const from = toMs(params.from);
      const to = params.to === undefined ? now : toMs(params.to);
      const folder =
        params.folder ?? `Undeleted ${new Date(from).toISOString().slice(0, 16).replace('T', ' ')}`;
      state = deletedBetween(
        source.mailbox,
        await recordsEndedBetween(table, source, from, to),
        from,
        to,
        folder,
      );
      break;
    }
    case 'item': {
      const found = itemsAt(
        source.mailbox,
        await mailboxRecords(table, source),
        params.itemIds,
        source.point,
        params.folder,
      );
      state = found.state;
      for (const id of found.missing)
        unrestored.push({
          id,
          kind: 'item',
          reason: 'not-found',
          detail: 'the mailbox had no such message, contact, appointment or task by the restore point',
        });
      break;
    }
  }
  const targetName = targetAccountName(source.name, params.newAccount);
  const problem = accountNameProblem(targetName);
  if (problem) throw new RestorePlanError(`the new account name ${targetName} ${problem}`);
  const entry = await accountEntry(directory, source, targetName, operationId);
  const ldif = entry
    ? {
        file: 'account.ldif' as const,
        sha256: await putBytes(
          target.backupBucket,
          operationObject.bundle(operationId, `${accountDir(index)}/account.ldif`),
          formatLdif([entry]),
          'text/plain',
        ),
      }
    : undefined;
  addLostFolders(state);
  const calendar = calendarItemsOf(state);
  const documents = documentsOf(state);
  const calendars = await writeCalendarFiles(
    target.backupBucket,
    operationId,
    index,
    state.folders,
    calendar,
    unrestored,
  );
  const addressBooks = await writeAddressBooks(
    target.backupBucket,
    operationId,
    index,
    source.mailbox.accountId,
    state.contacts,
  );
  const { folders, searches, mountpoints } = manifestFolders(state.folders);
  const messages = Object.entries(state.messages)
    .map(([id, m]) => ({
      id: Number(id),
      folderId: m.folderId,
      flags: m.flags,
      tags: m.tags,
      receivedDate: m.receivedDate,
      size: m.size,
      digest: m.digest,
      sha256: m.sha256,
      file: messageFile(Number(id)),
      ...(m.custom ? { custom: m.custom } : {}),
    }))
    .sort((a, b) => a.folderId - b.folderId || a.id - b.id);
  return {
    format: BUNDLE_FORMAT,
    account: {
      name: source.name,
      zimbraId: source.mailbox.accountId,
      serverId: source.serverId,
      mailboxId: source.mailboxId,
    },
    target: targetName,
    folders,
    searches,
    mountpoints,
    tags: Object.entries(state.tags)
      .map(([name, id]) => ({ name, id }))
      .sort((a, b) => a.id - b.id),
    config: Object.entries(state.config ?? {})
      .map(([section, metadata]) => ({ section, metadata }))
      .sort((a, b) => a.section.localeCompare(b.section)),
    messages,
    contacts: Object.entries(state.contacts)
      .map(([id, c]) => ({
        id: Number(id),
        folderId: c.folderId,
        fields: c.fields,
        sha256: c.sha256,
        ...(c.custom ? { custom: c.custom } : {}),
      }))
      .sort((a, b) => a.id - b.id),
    uncertain: await uncertainAt(
      table,
      source.serverId,
      source.mailboxId,
      'time' in source.point ? source.point.time : now,
    ),
    addressBooks,
    calendar,
    calendars,
    documents,
    notes: Object.entries(state.notes ?? {})
      .map(([id, n]) => ({ id: Number(id), ...n }))
      .sort((a, b) => a.id - b.id),
    ...(ldif ? { ldif } : {}),
    unrestored,
  };
}

/**
 * A folder the index never saw created (its CreateFolder was in lost redo) that messages or contacts are in:
 * added under the user root as `lost-folder-<id>`, so they come back together rather than failing the bundle.
 */
function addLostFolders(state: MailboxState): void {
  for (const [items, view] of [
    [Object.values(state.messages), VIEW.message],
    [Object.values(state.contacts), VIEW.contact],
  ] as const)
    for (const { folderId } of items)
      if (folderId !== FOLDER_ID.root && !state.folders[String(folderId)])
        state.folders[String(folderId)] = { name: `lost-folder-${folderId}`, parentId: FOLDER_ID.root, view };
}

/**
 * An account's documents for its manifest, each revision named by ids; one whose folder the index never saw
 * goes to the Briefcase (added if missing).
 */
function documentsOf(state: MailboxState): AccountPlan['documents'] {
  return Object.entries(state.documents)
    .map(([id, d]) => {
      const folderId = state.folders[String(d.folderId)] ? d.folderId : FOLDER_ID.briefcase;
      if (!state.folders[String(folderId)])
        state.folders[String(folderId)] = systemFolders()[String(FOLDER_ID.briefcase)] as FolderState;
      return {
        id: Number(id),
        ...d,
        folderId,
        revisions: d.revisions.map((r) => ({ ...r, file: documentFile(Number(id), r.version) })),
      };
    })
    .sort((a, b) => a.id - b.id);
}

/** The account's directory entry at its point (renamed for a new account), if the LDAP dumps had it. */
async function accountEntry(
  directory: DirectoryReader,
  source: RestoreSource,
  targetName: string,
  operationId: string,
): Promise<DirectoryEntry | undefined> {
  const time = 'time' in source.point ? source.point.time : Date.now();
  const object = (await directory(source.serverId, time)).objects.get(source.mailbox.accountId);
  if (!object) return undefined;
  return targetName === source.name
    ? directoryEntryOf(source.mailbox.accountId, object)
    : renamedAccountEntry(source.mailbox.accountId, object, targetName, operationId);
}

/**
 * LDAP-only restore: the directory objects the selection names, as LDIF. Accounts bring their aliases;
 * a domain brings everything in it; classes of service come along, since accounts refer to them.
 */
async function directoryLdif(
  target: RestorePlanTarget,
  params: Extract<RestoreParams, { mode: 'ldap' }>,
  time: number,
): Promise<{ ldif: string; entries: number; secrets?: number }> {
  const table = target.indexTable;
  const servers = params.serverId ? [params.serverId] : await listServers(table);
  const chosen = new Map<string, DirectoryEntity>();
  const resolved = new Set<string>();
  const knownDomains = new Set<string>();
  for (const serverId of servers) {
    const { objects, names } = await directoryAsOf(table, serverId, time);
    const accountIds = new Set<string>();
    for (const account of params.accounts) {
      const lower = account.toLowerCase();
      const named = names.get(lower);
      const id = objects.has(lower)
        ? lower
        : named?.object === 'alias'
          ? objects.get(named.zimbraId)?.targetId
          : named?.zimbraId;
      if (id && objects.get(id)?.object === 'account') {
        accountIds.add(id);
        resolved.add(account);
      }
    }
    const domains = params.domains.map((d) => d.toLowerCase());
    for (const object of objects.values())
      for (const d of domains) if (object.name === d || object.name.endsWith(`@${d}`)) knownDomains.add(d);
    for (const [id, object] of chooseDirectoryObjects(objects, accountIds, domains, params.all))
      chosen.set(id, object);
  }
  const unknown = params.accounts.filter((a) => !resolved.has(a));
  if (unknown.length > 0)
    throw new RestorePlanError(
      `the directory had no account ${unknown.join(', ')} at ${new Date(time).toISOString()}`,
    );
  // Classes of service always come along: without this check an unknown domain would pass on them alone.
  const unknownDomains = params.domains.filter((d) => !knownDomains.has(d.toLowerCase()));
  if (unknownDomains.length > 0)
    throw new RestorePlanError(
      `the directory had no domain ${unknownDomains.join(', ')} at ${new Date(time).toISOString()}`,
    );
  const entries = [...chosen]
    .map(([id, object]) => directoryEntryOf(id, object))
    .sort((a, b) => dnDepth(a.dn) - dnDepth(b.dn) || a.dn.localeCompare(b.dn));
  if (entries.length === 0)
    throw new RestorePlanError(
      `the directory had nothing the selection names at ${new Date(time).toISOString()}`,
    );
  if (!params.withSecrets) return { ldif: formatLdif(entries), entries: entries.length };
  const { byId } = await directorySecretsAt(target, servers, time);
  let secrets = 0;
  const withSecrets = entries.map((entry) => {
    const found = byId.get(attr(entry, 'zimbraId')[0]?.toLowerCase() ?? '');
    if (!found) return entry;
    secrets++;
    return { ...entry, attributes: { ...entry.attributes, ...found } };
  });
  return { ldif: formatLdif(withSecrets), entries: entries.length, secrets };
}

/** Work files in turns: account 0's first chunk, account 1's first, …, then everyone's second. */
function roundRobin(chunks: WorkFile[][]): WorkFile[] {
  const out: WorkFile[] = [];
  for (let turn = 0; chunks.some((c) => turn < c.length); turn++)
    for (const list of chunks) {
      const file = list[turn];
      if (file) out.push(file);
    }
  return out;
}

/** A mailbox's folders as the manifest lists them: folders that hold items, saved searches, mountpoints. */
function manifestFolders(
  all: MailboxState['folders'],
): Pick<AccountPlan, 'folders' | 'searches' | 'mountpoints'> {
  const out: Pick<AccountPlan, 'folders' | 'searches' | 'mountpoints'> = {
    folders: [],
    searches: [],
    mountpoints: [],
  };
  const ids = Object.keys(all)
    .map(Number)
    .filter((id) => id > 1)
    .sort((a, b) => a - b);
  for (const id of ids) {
    // Every attribute a folder can have goes with it, whatever its kind (a search can have a retention policy).
    const { search, mount, ...f } = all[String(id)] as FolderState;
    if (search) out.searches.push({ id, ...f, ...search });
    else if (mount) out.mountpoints.push({ id, ...f, ...mount });
    else out.folders.push({ id, ...f });
  }
  return out;
}
