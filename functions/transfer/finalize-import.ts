import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LdapDumpAnnouncement, ScanAnnouncement } from '#core/announcement.ts';
import { directoryObjects } from '#core/ldap/directory-objects.ts';
import { LdifError } from '#core/ldap/errors.ts';
import { parseLdif } from '#core/ldap/ldif.ts';
import { snapshotItemCount } from '#core/scan/scan-snapshot.ts';
import { serverKeys } from '#core/storage/server-keys.ts';
import { ExportFormatError, type ExportMailbox, parseExportMailbox } from '#core/transfer/export-format.ts';
import { IMPORT_POSITION, scanSnapshotOfExport } from '#core/transfer/scan-of-export.ts';
import { locationUrl } from '#core/transfer/transfer-request.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { sqs } from '#functions/clients/sqs.ts';
import { putJson } from '#functions/restore/operation-objects.ts';
import { ExportObjectError } from '#functions/transfer/errors.ts';
import { getStored, putStored } from '#functions/transfer/stored-objects.ts';
import type { BlobCopy } from '#functions/transfer/transfer-bodies.ts';
import { type ImportPlan, transferObject } from '#functions/transfer/transfer-plan.ts';

export interface ImportTarget {
  readonly backupBucket: string;
  readonly ingestQueueUrl: string;
}

/** What an import could not bring in: a whole mailbox or directory (with why), or one item. */
export interface Unimported {
  mailbox?: number;
  serverId?: string;
  id?: number;
  kind: 'mailbox' | 'directory' | 'message' | 'contact' | 'document';
  reason: string;
}

/**
 * Provisioning, then items, as an agent would have shipped them: each server's directory is stored as an
 * LDAP dump at the export's instant and announced; then each mailbox, checked against the manifest and
 * keeping only items whose body is now in this deployment's store, is stored as a full scan snapshot placed
 * before any redo of its server and announced. The indexer applies both in the server's order. Idempotent:
 * the same objects and deduplication ids on a retry.
 */
export async function finalizeImport(
  target: ImportTarget,
  operationId: string,
  plan: ImportPlan,
  copies: BlobCopy[],
): Promise<Record<string, unknown>> {
  const { manifest, source } = plan;
  const here = new Set(copies.flatMap((c) => (c.state === 'failed' ? [] : [c.sha256])));
  const failed = new Map(copies.flatMap((c) => (c.state === 'failed' ? [[c.sha256, c] as const] : [])));
  const unimported: Unimported[] = [];
  const shippedAt = new Date().toISOString();
  const announce = (message: LdapDumpAnnouncement | ScanAnnouncement) =>
    sqs().send(
      new SendMessageCommand({
        QueueUrl: target.ingestQueueUrl,
        MessageGroupId: message.serverId,
        MessageDeduplicationId: `import-${operationId}-${message.sha256}`,
        MessageBody: JSON.stringify(message),
      }),
    );
  let directories = 0;
  for (const server of manifest.servers) {
    if (!server.directory) continue;
    let ldif: Buffer;
    try {
      ldif = await getStored(source, server.directory.file, server.directory.sha256);
      directoryObjects(parseLdif(ldif.toString('utf8')));
    } catch (error) {
      if (!(error instanceof ExportObjectError || error instanceof LdifError)) throw error;
      unimported.push({ serverId: server.serverId, kind: 'directory', reason: error.message });
      continue;
    }
    const key = serverKeys.ldapDump(server.serverId, manifest.time, server.directory.sha256);
    const file = await putStored(target.backupBucket, key, ldif, 'text/plain');
    await announce({
      type: 'ldap-dump',
      serverId: server.serverId,
      key,
      ...file,
      codec: 'zstd',
      entries: server.directory.entries,
      dumpedAt: manifest.time,
      shippedAt,
    });
    directories++;
  }
  const scanId = `import-${operationId}`;
  let mailboxes = 0;
  let messages = 0;
  let contacts = 0;
  for (const entry of manifest.mailboxes) {
    let exported: ExportMailbox;
    try {
      exported = parseExportMailbox((await getStored(source, entry.file, entry.sha256)).toString('utf8'));
      const h = exported.header;
      if (
        h.serverId !== entry.serverId ||
        h.mailboxId !== entry.mailboxId ||
        h.accountId !== entry.accountId ||
        h.time !== manifest.time
      )
        throw new ExportFormatError('its header names another mailbox or instant than the manifest');
    } catch (error) {
      if (!(error instanceof ExportObjectError || error instanceof ExportFormatError)) throw error;
      unimported.push({ mailbox: entry.index, kind: 'mailbox', reason: `${entry.file}: ${error.message}` });
      continue;
    }
    const missing = (id: number, kind: 'message' | 'contact' | 'document', sha256: string | null) => {
      if (sha256 === null || here.has(sha256)) return false;
      const copy = failed.get(sha256);
      unimported.push({
        mailbox: entry.index,
        id,
        kind,
        reason:
          copy?.state === 'failed'
            ? `${copy.reason}: ${copy.detail}`
            : `its body ${sha256} is not in the export's blob list`,
      });
      return true;
    };
    const mailbox: ExportMailbox = {
      ...exported,
      messages: exported.messages.filter((m) => !missing(m.id, 'message', m.sha256)),
      contacts: exported.contacts.filter((c) => !missing(c.id, 'contact', c.sha256)),
      // A document comes in with the revisions whose bodies came too (none: it stays out).
      documents: exported.documents
        .map((d) => ({ ...d, revisions: d.revisions.filter((r) => !missing(d.id, 'document', r.sha256)) }))
        .filter((d) => d.revisions.length > 0),
    };
    const { text, header } = scanSnapshotOfExport(mailbox, scanId);
    const key = serverKeys.scan(header.serverId, header.accountId, manifest.time, sha256Hex(text));
    const stored = await putStored(target.backupBucket, key, text, 'application/x-ndjson');
    await announce({
      type: 'scan-snapshot',
      serverId: header.serverId,
      key,
      ...stored,
      codec: 'zstd',
      seq: IMPORT_POSITION.seq,
      offset: IMPORT_POSITION.offset,
      scanId,
      scanKind: 'full',
      mailboxId: header.mailboxId,
      accountId: header.accountId,
      items: snapshotItemCount(mailbox),
      takenAt: header.takenAt,
      shippedAt,
    });
    mailboxes++;
    messages += mailbox.messages.length;
    contacts += mailbox.contacts.length;
  }
  await putJson(target.backupBucket, transferObject.report(operationId), { unimported });
  return {
    import: locationUrl(source),
    exportedAt: manifest.time,
    scanId,
    serverIds: manifest.servers.map((s) => s.serverId),
    directories,
    mailboxes,
    messages,
    contacts,
    blobs: here.size,
    unimported: unimported.length,
    report: transferObject.report(operationId),
  };
}
