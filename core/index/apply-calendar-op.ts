import {
  type InviteHead,
  inviteHead,
  replyAttendees,
  withInvite,
  withPartStat,
} from '#core/calendar/invite-metadata.ts';
import type { EntityView } from '#core/index/apply-transaction.ts';
import { type CalendarEntity, itemKey } from '#core/index/index-entity.ts';
import type { OpDataOf, RedoRecord } from '#core/redo/redo-record.ts';

// The calendar ops: SetCalendarItem states a whole appointment or task (the series invite and its
// exceptions), CreateInvite files one new invite into it (or creates it), ModifyInvitePartStat records a
// reply. The invites are kept as the server encoded them; the item's type and UID come from its invites. An
// invite that does not decode is kept all the same (byte for byte) and reported: never dropped.

export type CalendarOp =
  | OpDataOf<'SetCalendarItem'>
  | OpDataOf<'CreateInvite'>
  | OpDataOf<'ModifyInvitePartStat'>;

/**
 * A reply the organizer's mailbox received (ICalReply): it names the item by UID only, so the mailbox's
 * items are searched. Each attendee it names gets the status it gives on the matching invite.
 */
export function applyICalReply(
  mailboxId: number,
  data: OpDataOf<'ICalReply'>,
  record: RedoRecord,
  view: EntityView,
): void {
  const where = `ICalReply at ${record.offset} (mailbox ${mailboxId})`;
  try {
    const reply = data.invite ?? '';
    const { uid, recurrenceId } = inviteHead(reply);
    const found = [...view.list(mailboxId)].find(([, e]) => e.kind === 'calendar' && e.uid === uid);
    if (found?.[1].kind !== 'calendar') {
      view.warn(`${where}: no calendar item has UID ${uid}`);
      return;
    }
    const [key, item] = found;
    let invites: string[] | undefined = item.invites;
    for (const { address, partStat } of replyAttendees(reply))
      invites = invites && withPartStat(invites, recurrenceId, address, partStat, false);
    if (invites) view.set(mailboxId, key, { ...item, invites });
    // The server would make a local exception for a reply to an instance it has none for: not modelled.
    else view.warn(`${where}: no invite of ${uid} for instance ${recurrenceId ?? '(series)'}`);
  } catch (error) {
    view.warn(`${where}: ${(error as Error).message}`);
  }
}

export function applyCalendarOp(
  mailboxId: number,
  data: CalendarOp,
  record: RedoRecord,
  view: EntityView,
): void {
  const key = itemKey(data.calItemId);
  const where = `${data.op} at ${record.offset} (calendar item ${data.calItemId} of mailbox ${mailboxId})`;
  const current = view.get(mailboxId, key);
  const item = current?.kind === 'calendar' ? current : undefined;
  /** The invite's head, or undefined (reported) when its metadata does not decode. */
  const headOf = (metadata: string): InviteHead | undefined => {
    try {
      return inviteHead(metadata);
    } catch (error) {
      view.warn(`${where}: an invite does not decode (${(error as Error).message}); kept as written`);
      return undefined;
    }
  };
  const created = (metadata: string[], head: InviteHead | undefined, folderId: number): CalendarEntity => ({
    kind: 'calendar',
    type: head?.type ?? 'appointment',
    folderId,
    flags: 0,
    tags: [],
    uid: head?.uid ?? `item-${data.calItemId}`,
    invites: metadata,
  });
  switch (data.op) {
    case 'SetCalendarItem': {
      const invites = [data.defaultInvite, ...data.exceptions]
        .filter((i): i is NonNullable<typeof i> => i !== null && i !== undefined)
        .map((i) => i.invite ?? '');
      const first = invites[0];
      if (first === undefined) {
        view.warn(`${where}: no invite`);
        return;
      }
      view.set(mailboxId, key, {
        ...created(invites, headOf(first), data.folderId),
        flags: data.flags ?? 0,
        tags: Array.isArray(data.tags) ? data.tags.filter((t): t is string => t !== null).sort() : [],
      });
      return;
    }
    case 'CreateInvite': {
      const metadata = data.invite ?? '';
      const head = headOf(metadata);
      if (head?.method === 'CANCEL' && head.recurrenceId === null) {
        // The organizer cancelled the whole series: the server removes the attendee's calendar item.
        if (item) view.set(mailboxId, key, null);
        return;
      }
      if (!item) view.set(mailboxId, key, created([metadata], head, data.folderId));
      else if (!head) view.set(mailboxId, key, { ...item, invites: [...item.invites, metadata] });
      else
        view.set(mailboxId, key, {
          ...item,
          invites: withInvite(item.invites, metadata, data.discardExistingInvites === true),
        });
      return;
    }
    case 'ModifyInvitePartStat': {
      if (!item) {
        view.warn(`${where}: the calendar item is not known`);
        return;
      }
      let invites: string[] | undefined;
      try {
        invites = withPartStat(
          item.invites,
          data.recurrence?.recurrenceId ?? null,
          data.address ?? '',
          data.partStat ?? '',
        );
      } catch (error) {
        // The invite decoded but cannot be written back as it was (a number beyond what JSON keeps exactly):
        // it stays as the server wrote it, without the reply.
        view.warn(`${where}: the reply cannot be recorded on the invite (${(error as Error).message})`);
        return;
      }
      if (invites) view.set(mailboxId, key, { ...item, invites });
      else view.warn(`${where}: no invite for instance ${data.recurrence?.recurrenceId ?? '(series)'}`);
      return;
    }
  }
}
