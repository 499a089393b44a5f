import {
  EXPORT_FORMAT,
  type ExportMailbox,
  type ExportManifest,
  exportFile,
  exportManifestSchema,
  formatExportMailbox,
  type UnexportedItem,
} from '#core/transfer/export-format.ts';
import { locationUrl } from '#core/transfer/transfer-request.ts';
import { parseOrThrow } from '#core/validation.ts';
import { getBytes, getJson, putJson } from '#functions/restore/operation-objects.ts';
import { putStored } from '#functions/transfer/stored-objects.ts';
import type { BlobCopy } from '#functions/transfer/transfer-bodies.ts';
import { type ExportPlan, transferObject } from '#functions/transfer/transfer-plan.ts';

/**
 * Writes what makes the copied blobs an export: each mailbox without the items whose body could not be
 * copied (listed as unexported, with the reason), each server's directory, the blob list, and last the
 * manifest, checked against the schema an import applies. Idempotent: a retry writes the same objects.
 */
export async function finalizeExport(
  target: { backupBucket: string },
  operationId: string,
  plan: ExportPlan,
  copies: BlobCopy[],
): Promise<Record<string, unknown>> {
  const to = plan.destination;
  const put = (path: string, body: string, type: string) =>
    putStored(to.bucket, `${to.prefix}${path}`, body, type);
  const failed = new Map(copies.flatMap((c) => (c.state === 'failed' ? [[c.sha256, c] as const] : [])));
  const unexported: UnexportedItem[] = [...plan.unexportable];
  const mailboxes: ExportManifest['mailboxes'] = [];
  for (const entry of plan.mailboxes) {
    const planned = await getJson<ExportMailbox>(
      target.backupBucket,
      transferObject.mailbox(operationId, entry.index),
    );
    const lost = (id: number, kind: 'message' | 'contact' | 'document', sha256: string | null) => {
      const copy = sha256 ? failed.get(sha256) : undefined;
      if (copy?.state !== 'failed') return false;
      unexported.push({ mailbox: entry.index, id, kind, reason: copy.reason, detail: copy.detail });
      return true;
    };
    const mailbox: ExportMailbox = {
      ...planned,
      messages: planned.messages.filter((m) => !lost(m.id, 'message', m.sha256)),
      contacts: planned.contacts.filter((c) => !lost(c.id, 'contact', c.sha256)),
      documents: planned.documents
        .map((d) => ({ ...d, revisions: d.revisions.filter((r) => !lost(d.id, 'document', r.sha256)) }))
        .filter((d) => d.revisions.length > 0),
    };
    const file = exportFile.mailbox(entry.index);
    const stored = await put(file, formatExportMailbox(mailbox), 'application/x-ndjson');
    mailboxes.push({
      ...entry,
      file,
      ...stored,
      folders: mailbox.folders.length,
      tags: mailbox.tags.length,
      messages: mailbox.messages.length,
      contacts: mailbox.contacts.length,
      bytes: mailbox.messages.reduce((sum, m) => sum + m.size, 0),
    });
  }
  const servers: ExportManifest['servers'] = [];
  for (const server of plan.servers) {
    if (server.entries === 0) {
      servers.push({ serverId: server.serverId });
      continue;
    }
    const ldif = await getBytes(target.backupBucket, transferObject.directory(operationId, server.serverId));
    const file = exportFile.directory(server.serverId);
    const stored = await put(file, ldif.bytes.toString('utf8'), 'text/plain');
    servers.push({ serverId: server.serverId, directory: { file, entries: server.entries, ...stored } });
  }
  const good = copies
    .filter((c) => c.state !== 'failed')
    .map((c) => [c.sha256, c.size, c.storedSize] as [string, number, number])
    .sort((a, b) => a[0].localeCompare(b[0]));
  const list = await put(exportFile.blobs, JSON.stringify({ blobs: good }), 'application/json');
  const manifest = parseOrThrow(
    exportManifestSchema,
    {
      format: EXPORT_FORMAT,
      operationId,
      createdAt: plan.createdAt,
      time: plan.time,
      selection: plan.selection,
      servers,
      mailboxes,
      blobs: {
        file: exportFile.blobs,
        count: good.length,
        bytes: good.reduce((sum, [, size]) => sum + size, 0),
        ...list,
      },
      unexported: unexported.sort((a, b) => a.mailbox - b.mailbox || a.id - b.id),
    } satisfies ExportManifest,
    `manifest of export ${operationId}`,
  );
  // Last: an export with a manifest is complete.
  const sha256 = await putJson(to.bucket, `${to.prefix}${exportFile.manifest}`, manifest);
  await putJson(target.backupBucket, transferObject.report(operationId), { unexported: manifest.unexported });
  return {
    export: locationUrl(to),
    sha256,
    time: plan.time,
    mailboxes: mailboxes.length,
    messages: mailboxes.reduce((sum, m) => sum + m.messages, 0),
    contacts: mailboxes.reduce((sum, m) => sum + m.contacts, 0),
    blobs: good.length,
    bytes: manifest.blobs.bytes,
    storedBytes: good.reduce((sum, [, , stored]) => sum + stored, 0),
    unexported: manifest.unexported.length,
    report: transferObject.report(operationId),
  };
}
