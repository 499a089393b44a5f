import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BodyPackAnnouncement } from '#core/announcement.ts';
import type { StoredBody } from '#core/index/apply-transaction.ts';
import { indexKeys } from '#core/index-keys.ts';
import { bodyOfFrame, PackError, readTrailer } from '#core/storage/body-pack.ts';
import { objectBody } from '#core/storage/object-body.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { s3 } from '#functions/clients/s3.ts';
import type { IndexTarget } from '#functions/index/index-segment.ts';
import { storeBodies } from '#functions/index/store-bodies.ts';

/** The most an agent's pack may hold (its packs close at 16 MiB of bodies; one large body may pass that). */
const MAX_AGENT_PACK_BYTES = 1024 * 1024 * 1024;

export interface BodyPackResult {
  state: 'applied' | 'unreadable' | 'already';
  /** Bodies checked against their digests. */
  bodies: number;
  /** Of those, written into the indexer's packs (the others it had already). */
  stored: number;
  /** Bodies whose frame is not what its digest names: left out, each named. */
  damaged: string[];
  reason?: string;
}

/**
 * Takes in a pack of bodies a scan shipped: every frame is checked against its digest, the bodies the index
 * has no location for are written into the indexer's own packs (so a host's object is never where a body is
 * read from, and the agent's pack can go), and the catalog entry is marked applied (a purge then removes
 * the pack). A damaged frame leaves out that body only; a pack whose trailer does not read is marked
 * unreadable with the reason (its bodies are reported missing by the restores that need them).
 */
export async function ingestBodyPack(
  target: IndexTarget,
  message: BodyPackAnnouncement,
): Promise<BodyPackResult> {
  const key = {
    pk: indexKeys.server(target.serverId),
    sk: indexKeys.bodyPack(message.packedAt, message.sha256),
  };
  const entry = await dynamodb().send(
    new GetCommand({ TableName: target.table, Key: key, ConsistentRead: true }),
  );
  if (entry.Item?.state === 'applied') return { state: 'already', bodies: 0, stored: 0, damaged: [] };
  const got = await s3().send(new GetObjectCommand({ Bucket: target.bucket, Key: message.key }));
  const bytes = await objectBody(got, Math.min(message.storedSize, MAX_AGENT_PACK_BYTES));
  const result: BodyPackResult = { state: 'applied', bodies: 0, stored: 0, damaged: [] };
  let bodies: StoredBody[] = [];
  try {
    for (const body of readTrailer(bytes, bytes.length)) {
      result.bodies++;
      try {
        bodies.push({
          sha256: body.sha256,
          content: bodyOfFrame(bytes.subarray(body.offset, body.offset + body.length), body),
        });
      } catch (error) {
        if (!(error instanceof PackError)) throw error;
        result.damaged.push(`${body.sha256}: ${error.message}`);
      }
    }
  } catch (error) {
    if (!(error instanceof PackError)) throw error;
    result.state = 'unreadable';
    result.reason = `pack ${error.message}`;
    bodies = [];
  }
  result.stored = (await storeBodies({ bucket: target.bucket, table: target.table }, bodies)).written;
  await dynamodb().send(
    new UpdateCommand({
      TableName: target.table,
      Key: key,
      UpdateExpression: 'SET #state = :state, #at = :at, #stored = :stored, #damaged = :damaged',
      ExpressionAttributeNames: {
        '#state': 'state',
        '#at': 'appliedAt',
        '#stored': 'stored',
        '#damaged': 'damaged',
      },
      ExpressionAttributeValues: {
        ':state': result.state,
        ':at': new Date().toISOString(),
        ':stored': result.stored,
        ':damaged': result.reason ? [result.reason] : result.damaged.slice(0, 50),
      },
    }),
  );
  return result;
}
