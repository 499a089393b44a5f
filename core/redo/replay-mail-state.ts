import { gunzipSync } from 'node:zlib';
import { FLAG_NAMES, FOLDER_ID } from '#core/mail-item.ts';
import {
  type MailboxState,
  type MailSnapshot,
  systemFolders,
  TRASH_LIFETIME_MS,
} from '#core/mail-snapshot.ts';
import { RedoFormatError } from '#core/redo/errors.ts';
import type { BodyRef, CreateMessageData, RedoRecord } from '#core/redo/redo-record.ts';
import type { CommittedTxn } from '#core/redo/transaction-assembler.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

/**
 * Applies committed transactions to an in-memory snapshot of every mailbox: the reference semantics of
 * the redo ops (what the indexer records as item versions). Bodies must have been captured by the reader.
 */
export class MailStateReplayer {
  readonly state: MailSnapshot = { mailboxes: {} };
  /** StoreIncomingBlob bodies by path, for CreateMessage records that link to them. */
  private readonly incoming = new Map<string, Buffer>();
  /** Ops that referred to something missing (a mailbox or item the log never created). */
  readonly warnings: string[] = [];

  apply(txn: CommittedTxn): void {
    for (const op of txn.ops) this.applyOp(op);
  }

  private applyOp(record: RedoRecord): void {
    const { data, header } = record;
    const mboxId = String(header.mailboxId);
    if (data.op === 'StoreIncomingBlob') {
      if (data.path !== null) this.incoming.set(data.path, inflate(bodyBytes(data.body, record), data.size));
      return;
    }
    if (data.op === 'CreateMailbox') {
      this.state.mailboxes[mboxId] = {
        accountId: data.accountId ?? '',
        renamedTo: null,
        folders: systemFolders(),
        tags: {},
        messages: {},
        contacts: {},
      };
      return;
    }
    const mbox = this.state.mailboxes[mboxId];
    if (!mbox) {
      this.warnings.push(`${data.op} at ${record.offset}: mailbox ${mboxId} does not exist`);
      return;
    }
    switch (data.op) {
      case 'DeleteMailbox':
        delete this.state.mailboxes[mboxId];
        return;
      case 'RenameMailbox':
        mbox.renamedTo = data.newName;
        return;
      case 'CreateFolder':
        mbox.folders[String(data.folderId)] = { name: data.name ?? '', parentId: data.parentId };
        return;
      case 'RenameFolder': {
        const folder = mbox.folders[String(data.folderId)];
        if (folder)
          mbox.folders[String(data.folderId)] = { name: data.name ?? folder.name, parentId: data.parentId };
        return;
      }
      case 'CreateTag':
        if (data.name !== null) mbox.tags[data.name] = data.tagId;
        return;
      case 'CreateMessage':
      case 'SaveDraft':
        this.createMessage(mbox, data, record);
        return;
      case 'MoveItem':
        for (const id of data.ids) {
          const item = mbox.messages[id] ?? mbox.contacts[id];
          if (item) item.folderId = data.destFolderId;
          else if (mbox.folders[id]) (mbox.folders[id] as { parentId: number }).parentId = data.destFolderId;
        }
        return;
      case 'DeleteItem':
        for (const id of data.ids) {
          if (mbox.folders[id]) deleteFolder(mbox, id);
          delete mbox.messages[id];
          delete mbox.contacts[id];
        }
        return;
      case 'EmptyFolder':
        emptyFolder(mbox, data.folderId, data.subfolders);
        return;
      case 'AlterItemTag':
        for (const id of data.ids) {
          const msg = mbox.messages[id];
          if (!msg) continue;
          const name = data.tagName ?? null;
          const flag = name === null ? undefined : FLAG_NAMES[name];
          if (flag !== undefined) msg.flags = data.tagged ? msg.flags | flag : msg.flags & ~flag;
          else if (name !== null) {
            const tags = new Set(msg.tags);
            if (data.tagged) tags.add(name);
            else tags.delete(name);
            msg.tags = [...tags].sort();
          }
        }
        return;
      case 'SetItemTags':
        for (const id of data.ids) {
          const msg = mbox.messages[id];
          if (!msg) continue;
          msg.flags = data.flags;
          msg.tags = (data.tags ?? []).filter((t): t is string => t !== null).sort();
        }
        return;
      case 'CreateContact':
        mbox.contacts[String(data.contactId)] = {
          folderId: data.folderId,
          fields: fieldMap(data.fields),
          sha256: data.body && data.body.length > 0 ? sha256Hex(bodyBytes(data.body, record)) : null,
        };
        return;
      case 'ModifyContact': {
        const contact = mbox.contacts[String(data.contactId)];
        if (!contact) return;
        contact.fields = fieldMap(data.fields);
        contact.sha256 = data.body && data.body.length > 0 ? sha256Hex(bodyBytes(data.body, record)) : null;
        return;
      }
      case 'PurgeImapDeleted':
        for (const [id, msg] of Object.entries(mbox.messages)) {
          if (msg.flags & (FLAG_NAMES['\\Deleted'] as number)) delete mbox.messages[id];
        }
        return;
      case 'PurgeOldMessages':
        for (const [id, msg] of Object.entries(mbox.messages)) {
          if (msg.folderId === FOLDER_ID.trash && msg.receivedDate < header.timestamp - TRASH_LIFETIME_MS) {
            delete mbox.messages[id];
          }
        }
        return;
      default:
        return;
    }
  }

  private createMessage(mbox: MailboxState, data: CreateMessageData, record: RedoRecord): void {
    let content: Buffer | undefined;
    if (data.body.type === 'inline') content = inflate(bodyBytes(data.body, record), data.size);
    else content = data.path === null ? undefined : this.incoming.get(data.path);
    if (!content) {
      this.warnings.push(
        `message ${data.msgId} at ${record.offset}: linked blob ${data.path} was never stored`,
      );
      return;
    }
    mbox.messages[String(data.msgId)] = {
      folderId: data.folderId,
      flags: data.flags,
      tags: (data.tags ?? []).filter((t): t is string => t !== null).sort(),
      digest: data.digest ?? '',
      size: data.size,
      sha256: sha256Hex(content),
      receivedDate: data.receivedDate,
    };
  }
}

function bodyBytes(body: BodyRef, record: RedoRecord): Buffer {
  if (!body.bytes) throw new RedoFormatError('body was not captured; read with captureBodies', record.offset);
  return body.bytes;
}

/** Bodies whose stored length differs from the message size are gzip (spec §3). */
function inflate(bytes: Buffer, size: number): Buffer {
  return bytes.length !== size ? gunzipSync(bytes) : bytes;
}

function fieldMap(fields: [string | null, string | null][]): Record<string, string> {
  return Object.fromEntries(fields.filter(([k]) => k !== null).map(([k, v]) => [k as string, v ?? '']));
}

function emptyFolder(mbox: MailboxState, folderId: number, subfolders: boolean): void {
  for (const [id, item] of [...Object.entries(mbox.messages), ...Object.entries(mbox.contacts)]) {
    if (item.folderId === folderId) {
      delete mbox.messages[id];
      delete mbox.contacts[id];
    }
  }
  if (!subfolders) return;
  for (const [id, folder] of Object.entries(mbox.folders)) {
    if (folder.parentId === folderId && Number(id) !== folderId) deleteFolder(mbox, Number(id));
  }
}

/** A deleted folder takes its items and subfolders with it. */
function deleteFolder(mbox: MailboxState, folderId: number): void {
  emptyFolder(mbox, folderId, true);
  delete mbox.folders[folderId];
}
