import { inviteSummary } from '#core/calendar/invite-metadata.ts';
import type { EntityState } from '#core/index/index-entity.ts';
import type { RetentionRule } from '#core/mail-snapshot.ts';

/** One line saying what an item's state was, for people (`--json` gives the state itself). */
export function describeEntity(state: EntityState): string {
  switch (state.kind) {
    case 'message':
      return `message in folder ${state.folderId}, flags ${state.flags}${state.tags.length ? `, tags ${state.tags.join(', ')}` : ''}, ${state.size} bytes${state.subject ? `: ${state.subject}` : ''}`;
    case 'contact':
      return `contact in folder ${state.folderId}: ${Object.entries(state.fields)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`;
    case 'calendar': {
      const { summary, start } = inviteSummary(state.invites[0]);
      const exceptions = state.invites.length - 1;
      return `${state.type} in folder ${state.folderId} (${state.uid}): ${summary ?? '(no summary)'}${start ? `, starts ${start}` : ''}${exceptions > 0 ? `, ${exceptions} exception${exceptions === 1 ? '' : 's'}` : ''}${state.tags.length ? `, tags ${state.tags.join(', ')}` : ''}`;
    }
    case 'document':
      return `${state.type} in folder ${state.folderId}: ${state.name}, revisions ${state.revisions
        .map((r) => `${r.version} (${r.author}, ${new Date(r.date).toISOString()}, ${r.size} bytes)`)
        .join('; ')}`;
    case 'note':
      return state.type === 'comment'
        ? `comment on document ${state.parentId} by ${state.creatorId}, ${new Date(state.date).toISOString()}: ${state.text}`
        : `note in folder ${state.folderId} at ${state.bounds}${state.color !== undefined ? `, color ${state.color}` : ''}${state.tags.length ? `, tags ${state.tags.join(', ')}` : ''}, ${new Date(state.date).toISOString()}: ${state.text}`;
    case 'folder': {
      const what = state.search
        ? `saved search ${state.name} (${state.search.query}; ${state.search.types}, ${state.search.sort})`
        : state.mount
          ? `mountpoint ${state.name} of folder ${state.mount.remoteId} of account ${state.mount.ownerId}${state.mount.reminder ? ', reminders on' : ''}`
          : `folder ${state.name}`;
      const extras = [
        state.view !== undefined ? `view ${state.view}` : '',
        state.color !== undefined ? `color ${state.color}` : '',
        state.url ? `subscribed to ${state.url}` : '',
        state.grants?.length
          ? `shared with ${state.grants.map((g) => `${g.grantee ?? `type ${g.type}`} (rights ${g.rights})`).join(', ')}`
          : '',
        state.retention
          ? `retention: keep ${rules(state.retention.keep)}, purge ${rules(state.retention.purge)}`
          : '',
        state.activeSyncDisabled ? 'hidden from ActiveSync' : '',
        state.webOfflineSyncDays !== undefined
          ? `${state.webOfflineSyncDays} days offline in the web client`
          : '',
      ].filter(Boolean);
      return `${what} under ${state.parentId}${extras.length ? `, ${extras.join(', ')}` : ''}`;
    }
    default:
      return JSON.stringify(state);
  }
}

/** Retention rules in words: a lifetime, or the system policy's id. */
function rules(list: readonly RetentionRule[]): string {
  return list.length === 0
    ? 'none'
    : list.map((r) => ('id' in r ? `system policy ${r.id}` : r.lifetime)).join(', ');
}
