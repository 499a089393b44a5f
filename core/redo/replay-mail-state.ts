import {
  applyTransaction,
  type EntityView,
  type IncomingBlob,
  type StoredBody,
} from '#core/index/apply-transaction.ts';
import { type EntityState, MAILBOX_KEY } from '#core/index/index-entity.ts';
import { mailboxStateOf } from '#core/index/mailbox-state-of.ts';
import type { MailSnapshot } from '#core/mail-snapshot.ts';
import type { CommittedTxn } from '#core/redo/transaction-assembler.ts';

/**
 * Applies committed transactions to every mailbox in memory, with the indexer's semantics
 * (`applyTransaction`): a reference replay for tests and tools. Bodies must have been captured by the reader.
 */
export class MailStateReplayer {
  private readonly entities = new Map<number, Map<string, EntityState>>();
  private readonly incomingBlobs = new Map<string, IncomingBlob>();
  /** Ops that referred to something missing (a mailbox or item the log never created). */
  readonly warnings: string[] = [];
  /** Records whose result is not in the record (see EntityView.uncertain). */
  readonly uncertain: { offset: number; op: string; reason: string }[] = [];
  private readonly changed = new Map<string, number>();
  private time = 0;
  private readonly view: EntityView = {
    get: (mailboxId, key) => this.entities.get(mailboxId)?.get(key) ?? null,
    set: (mailboxId, key, state) => {
      this.changed.set(`${mailboxId}:${key}`, this.time);
      let mailbox = this.entities.get(mailboxId);
      if (!mailbox) {
        mailbox = new Map();
        this.entities.set(mailboxId, mailbox);
      }
      if (state === null) mailbox.delete(key);
      else mailbox.set(key, state);
    },
    list: (mailboxId) => this.entities.get(mailboxId) ?? new Map(),
    incoming: (path) => this.incomingBlobs.get(path),
    storeIncoming: (blob) => this.incomingBlobs.set(blob.path, blob),
    storeBody: (_body: StoredBody) => undefined,
    warn: (message) => this.warnings.push(message),
    changedAt: (mailboxId, key) => this.changed.get(`${mailboxId}:${key}`),
    uncertain: (record, reason) => this.uncertain.push({ offset: record.offset, op: record.data.op, reason }),
  };

  apply(txn: CommittedTxn): void {
    this.time = txn.commitTime;
    applyTransaction(txn, this.view);
  }

  /** The live mailboxes now. */
  get state(): MailSnapshot {
    const snapshot: MailSnapshot = { mailboxes: {} };
    for (const [mailboxId, entities] of this.entities) {
      const mailbox = entities.get(MAILBOX_KEY);
      if (mailbox?.kind !== 'mailbox') continue;
      snapshot.mailboxes[String(mailboxId)] = mailboxStateOf(
        mailbox,
        [...entities].filter(([key]) => key !== MAILBOX_KEY),
      );
    }
    return snapshot;
  }
}
