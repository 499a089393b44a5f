import type { MailboxState, MessageState } from '#core/mail-snapshot.ts';
import type { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

/** A message that disappeared from a live mailbox at a commit, with its state just before. */
export interface MessageDeletion {
  time: number;
  mailboxId: number;
  itemId: number;
  before: MessageState;
}

/** What the simulator's ground truth says happened, commit by commit: the scenarios restores are tested on. */
export interface TruthHistory {
  times: number[];
  deletions: MessageDeletion[];
  deletedMailboxes: { time: number; mailboxId: number; before: MailboxState }[];
  /**
   * The mailbox at `time` as if nothing had been deleted (zmrestore -skipDeletes), computed from the truth
   * after each commit: every item's last state, a message in Trash put back where it was before.
   */
  ignoringDeletes(mailboxId: number, time: number): MailboxState;
}

export function truthHistory(sim: MailHostSimulator): TruthHistory {
  const times = sim.commitTimes();
  const states = times.map((t) => sim.truthAt(t));
  const deletions: MessageDeletion[] = [];
  const deletedMailboxes: TruthHistory['deletedMailboxes'] = [];
  for (let i = 1; i < states.length; i++) {
    const before = states[i - 1]?.mailboxes ?? {};
    const after = states[i]?.mailboxes ?? {};
    for (const [id, mailbox] of Object.entries(before)) {
      const now = after[id];
      if (!now) {
        deletedMailboxes.push({ time: times[i] as number, mailboxId: Number(id), before: mailbox });
        continue;
      }
      for (const [itemId, message] of Object.entries(mailbox.messages))
        if (!now.messages[itemId])
          deletions.push({
            time: times[i] as number,
            mailboxId: Number(id),
            itemId: Number(itemId),
            before: message,
          });
    }
  }
  return {
    times,
    deletions,
    deletedMailboxes,
    ignoringDeletes(mailboxId, time) {
      let result: MailboxState | undefined;
      const outsideTrash = new Map<string, number>();
      for (const [i, t] of times.entries()) {
        if (t > time) break;
        const mailbox = states[i]?.mailboxes[String(mailboxId)];
        if (!mailbox) continue;
        result ??= structuredClone(mailbox);
        result.accountId = mailbox.accountId;
        result.renamedTo = mailbox.renamedTo;
        Object.assign(result.folders, structuredClone(mailbox.folders));
        Object.assign(result.tags, mailbox.tags);
        Object.assign(result.contacts, structuredClone(mailbox.contacts));
        Object.assign(result.calendar, structuredClone(mailbox.calendar));
        Object.assign(result.documents, structuredClone(mailbox.documents));
        // Configuration sections too: a deleted one is a deletion like any other.
        if (mailbox.config) result.config = { ...result.config, ...mailbox.config };
        if (mailbox.notes) result.notes = { ...result.notes, ...structuredClone(mailbox.notes) };
        for (const [id, m] of Object.entries(mailbox.messages)) {
          result.messages[id] = structuredClone(m);
          if (m.folderId !== 3) outsideTrash.set(id, m.folderId);
        }
      }
      if (!result) throw new Error(`mailbox ${mailboxId} did not exist by ${new Date(time).toISOString()}`);
      for (const [id, m] of Object.entries(result.messages)) {
        const back = outsideTrash.get(id);
        if (m.folderId === 3 && back !== undefined) m.folderId = back;
      }
      return result;
    },
  };
}
