import type { SegmentEntry } from '#core/index/catalog-entries.ts';
import { listCatalog } from '#functions/catalog/catalog-store.ts';
import { type IndexCursor, readCursor } from '#functions/index/index-cursor.ts';
import { type ReindexMarker, readReindex } from '#functions/index/reindex-server.ts';

/**
 * Where a server's index stands: its segment catalogue, cursor and reindex mark. A server's restore points and
 * its status are both made of these; `backup list` asks for both, and they are read once.
 */
export interface ServerIndexState {
  segments: SegmentEntry[];
  cursor: IndexCursor | undefined;
  reindex: ReindexMarker | undefined;
}

export async function readServerIndexState(table: string, serverId: string): Promise<ServerIndexState> {
  const [segments, cursor, reindex] = await Promise.all([
    listCatalog(table, serverId, 'segment'),
    readCursor(table, serverId),
    readReindex({ table, serverId }),
  ]);
  return { segments, cursor, reindex };
}
