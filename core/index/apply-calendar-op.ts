import { inviteHead, withInvite, withPartStat } from '#core/calendar/invite-metadata.ts';
import type { EntityView } from '#core/index/apply-transaction.ts';
import { type CalendarEntity, itemKey } from '#core/index/index-entity.ts';
import type { OpDataOf, RedoRecord } from '#core/redo/redo-record.ts';

// The calendar ops: SetCalendarItem states a whole appointment or task (the series invite and its
// exceptions), CreateInvite files one new invite into it (or creates it), ModifyInvitePartStat records a
// reply. The invites are kept as the server encoded them; the item's type and UID come from its invites.

export type CalendarOp =
  | OpDataOf<'SetCalendarItem'>
  | OpDataOf<'CreateInvite'>
  | OpDataOf<'ModifyInvitePartStat'>;

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
  try {
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
        const head = inviteHead(first);
        view.set(mailboxId, key, {
          kind: 'calendar',
          type: head.type,
          folderId: data.folderId,
          flags: data.flags ?? 0,
          tags: Array.isArray(data.tags) ? data.tags.filter((t): t is string => t !== null).sort() : [],
          uid: head.uid,
          invites,
        });
        return;
      }
      case 'CreateInvite': {
        const metadata = data.invite ?? '';
        const head = inviteHead(metadata);
        if (head.method === 'CANCEL' && head.recurrenceId === null) {
          // The organizer cancelled the whole series: the server removes the attendee's calendar item.
          if (item) view.set(mailboxId, key, null);
          return;
        }
        const next: CalendarEntity = item
          ? { ...item, invites: withInvite(item.invites, metadata, data.discardExistingInvites === true) }
          : {
              kind: 'calendar',
              type: head.type,
              folderId: data.folderId,
              flags: 0,
              tags: [],
              uid: head.uid,
              invites: [metadata],
            };
        view.set(mailboxId, key, next);
        return;
      }
      case 'ModifyInvitePartStat': {
        if (!item) {
          view.warn(`${where}: the calendar item is not known`);
          return;
        }
        const invites = withPartStat(
          item.invites,
          data.recurrence?.recurrenceId ?? null,
          data.address ?? '',
          data.partStat ?? '',
        );
        if (invites) view.set(mailboxId, key, { ...item, invites });
        else view.warn(`${where}: no invite for instance ${data.recurrence?.recurrenceId ?? '(series)'}`);
        return;
      }
    }
  } catch (error) {
    view.warn(`${where}: ${(error as Error).message}`);
  }
}
