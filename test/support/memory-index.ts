import {
  applyTransaction,
  entityNeeds,
  type IncomingBlob,
  transactionOp,
} from '#core/index/apply-transaction.ts';
import { isUserFolder, MAX_FOLDER_DEPTH } from '#core/index/conversations.ts';
import { entitiesAsOf, type TimedState } from '#core/index/entities-as-of.ts';
import { DIRECTORY_SCOPE, itemKey, MAILBOX_KEY } from '#core/index/index-entity.ts';
import { mailboxStateOf } from '#core/index/mailbox-state-of.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { type EntityHead, type EntityVersion, VersionOverlay } from '#core/index/version-overlay.ts';
import { applyDirectoryDump } from '#core/ldap/apply-directory-dump.ts';
import type { DirectoryObject } from '#core/ldap/directory-objects.ts';
import type { MailSnapshot } from '#core/mail-snapshot.ts';
import type { CommittedTxn } from '#core/redo/transaction-assembler.ts';

/** A transaction and the file sequence its CommitTxn is in. */
export interface PlacedTxn {
  seq: bigint;
  txn: CommittedTxn;
}

/**
 * The index's versioning in memory, batch by batch the way the indexer loads and applies a segment: only the
 * entities a batch needs are loaded (a missing need fails loudly), heads and closed versions are kept.
 */
export class MemoryIndex {
  readonly heads = new Map<number, Map<string, EntityHead>>();
  readonly versions: EntityVersion[] = [];
  readonly incoming = new Map<string, IncomingBlob>();
  /** The messages that joined each conversation (`mailbox conv` → ids), as the index keeps its join items. */
  readonly joins = new Map<string, Set<number>>();

  applyBatch(batch: readonly PlacedTxn[]): VersionOverlay {
    const overlay = new VersionOverlay();
    for (const { txn } of batch) {
      for (const need of entityNeeds(txn)) {
        if ('incoming' in need) {
          const blob = this.incoming.get(need.incoming);
          if (blob) overlay.loadIncoming(blob);
          continue;
        }
        const heads = this.heads.get(need.mailboxId);
        if ('all' in need) {
          for (const [key, head] of heads ?? []) overlay.load(need.mailboxId, key, head);
          overlay.markComplete(need.mailboxId);
        } else if ('conversation' in need) {
          for (const id of this.joins.get(`${need.mailboxId} ${need.conversation}`) ?? [])
            if (!overlay.isLoaded(need.mailboxId, itemKey(id)))
              overlay.load(need.mailboxId, itemKey(id), heads?.get(itemKey(id)) ?? null);
        } else if ('folderChain' in need) {
          // The folder and its ancestors, as the indexer loads them.
          for (let id = need.folderChain, depth = 0; depth < MAX_FOLDER_DEPTH; depth++) {
            const head = heads?.get(itemKey(id)) ?? null;
            if (!overlay.isLoaded(need.mailboxId, itemKey(id)))
              overlay.load(need.mailboxId, itemKey(id), head);
            if (
              head?.state?.kind !== 'folder' ||
              !isUserFolder(head.state.parentId) ||
              head.state.parentId === id
            )
              break;
            id = head.state.parentId;
          }
        } else if (!overlay.isLoaded(need.mailboxId, need.key)) {
          overlay.load(need.mailboxId, need.key, heads?.get(need.key) ?? null);
        }
      }
    }
    for (const { seq, txn } of batch) {
      overlay.begin(redoPosition(seq, txn.commit.offset), txn.commitTime, transactionOp(txn));
      applyTransaction(txn, overlay);
    }
    this.commit(overlay);
    return overlay;
  }

  /** Applies an LDAP dump's objects to the directory scope, as of `time`. */
  applyDump(objects: readonly DirectoryObject[], pos: string, time: number): VersionOverlay {
    const overlay = new VersionOverlay();
    for (const [key, head] of this.heads.get(DIRECTORY_SCOPE) ?? []) overlay.load(DIRECTORY_SCOPE, key, head);
    overlay.markComplete(DIRECTORY_SCOPE);
    overlay.begin(pos, time, 'LdapDump');
    applyDirectoryDump(objects, overlay);
    this.commit(overlay);
    return overlay;
  }

  private commit(overlay: VersionOverlay): void {
    this.versions.push(...overlay.versions);
    for (const blob of overlay.newIncoming) this.incoming.set(blob.path, blob);
    for (const { mailboxId, convId, messageId } of overlay.conversationJoins) {
      const key = `${mailboxId} ${convId}`;
      this.joins.set(key, new Set([...(this.joins.get(key) ?? []), messageId]));
    }
    for (const { mailboxId, key, head } of overlay.changedHeads()) {
      let map = this.heads.get(mailboxId);
      if (!map) {
        map = new Map();
        this.heads.set(mailboxId, map);
      }
      map.set(key, structuredClone(head));
    }
  }

  snapshotAt(time: number): MailSnapshot {
    const snapshot: MailSnapshot = { mailboxes: {} };
    for (const mailboxId of this.heads.keys()) {
      if (mailboxId === DIRECTORY_SCOPE) continue;
      const entities = this.entitiesAt(mailboxId, time);
      const mailbox = entities.get(MAILBOX_KEY);
      if (mailbox?.kind !== 'mailbox') continue;
      entities.delete(MAILBOX_KEY);
      snapshot.mailboxes[String(mailboxId)] = mailboxStateOf(mailbox, entities);
    }
    return snapshot;
  }

  entitiesAt(mailboxId: number, time: number) {
    const candidates: TimedState[] = [];
    for (const [key, head] of this.heads.get(mailboxId) ?? []) candidates.push({ key, ...head });
    for (const v of this.versions) if (v.mailboxId === mailboxId) candidates.push(v);
    return entitiesAsOf(candidates, time);
  }
}
