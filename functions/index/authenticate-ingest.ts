import { roleIdOf } from '#core/access/role-id-of.ts';
import type { IngestMessage } from '#core/announcement.ts';
import { parseServerObjectKey } from '#core/storage/server-keys.ts';

// Who may put what on the ingest queue, told by the IAM role that sent it (SQS's SenderId: `<role id>:<session>`).
// An announced object must be where the bucket layout puts the object the announcement describes, under the
// server it names, and (in a deployment that gives each server its identity) be sent by that server's agent
// or by offsite's own functions (an import): a host cannot have another server's redo, dumps or scans indexed.
// Indexing work (go on, bridge a gap, rebuild) comes only from offsite's own functions.

export interface IngestSenders {
  /** Role ids of offsite's own functions that queue indexing work. */
  readonly internal: readonly string[];
  /** Server id → its agent's role id; empty when the deployment gives servers no identities of their own. */
  readonly servers: Readonly<Record<string, string>>;
}

/** Why an ingest message is refused, or undefined when it may be handled. */
export function ingestRefusal(
  message: IngestMessage,
  senderId: string,
  senders: IngestSenders,
): string | undefined {
  const role = roleIdOf(senderId);
  const internal = senders.internal.includes(role);
  switch (message.type) {
    case 'index-continue':
    case 'index-bridge':
    case 'index-reset':
      return internal
        ? undefined
        : `${message.type} is queued only by offsite's own functions, not by sender ${senderId}`;
    default: {
      if (Object.keys(senders.servers).length > 0 && !internal) {
        const own = senders.servers[message.serverId];
        if (own === undefined)
          return `${message.type} names server ${message.serverId}, which has no identity in this deployment (add it to the stack configuration's servers)`;
        if (own !== role)
          return `${message.type} of server ${message.serverId} was not sent by its agent (sender ${senderId})`;
      }
      return keyProblem(message);
    }
  }
}

type ObjectAnnouncement = Exclude<IngestMessage, { type: 'index-continue' | 'index-bridge' | 'index-reset' }>;

/** The key must name exactly the announced object, under the announcing server's prefix. */
function keyProblem(message: ObjectAnnouncement): string | undefined {
  const object = parseServerObjectKey(message.serverId, message.key);
  const refused = (what: string) =>
    `${message.type} of server ${message.serverId} names key ${message.key}, which ${what}`;
  if (!object) return refused(`is not one of that server's objects (servers/${message.serverId}/…)`);
  const same = (a: string, b: string) => Date.parse(a) === Date.parse(b);
  const matches =
    message.type === 'redo-segment'
      ? object.kind === 'segment' &&
        object.seq === message.seq &&
        object.firstOffset === message.firstOffset &&
        object.lastOffset === message.lastOffset
      : message.type === 'redo-seal'
        ? object.kind === 'seal' && object.seq === message.seq && object.size === message.size
        : message.type === 'ldap-dump'
          ? object.kind === 'ldap-dump' && same(object.dumpedAt, message.dumpedAt)
          : message.type === 'body-pack'
            ? object.kind === 'body-pack' && same(object.packedAt, message.packedAt)
            : object.kind === 'scan' &&
              object.accountId === message.accountId &&
              same(object.takenAt, message.takenAt);
  if (!matches) return refused(`names another object than the one announced`);
  if (object.sha256 !== message.sha256)
    return refused(`holds digest ${object.sha256}, not ${message.sha256}`);
  return undefined;
}
