import { redoPosition } from '#core/index/redo-position.ts';
import type { RedoCut } from '#core/retention/purge-request.ts';

/** The scan id of base snapshots: the server's cut, where a reindex from them starts (`base-<seq>-<offset>`). */
export const baseScanId = (serverCut: RedoCut): string => `base-${serverCut.seq}-${serverCut.offset}`;

/** The server's cut a base snapshot's scan id names. */
export function cutOfBaseScanId(scanId: string): string | undefined {
  const match = /^base-(\d{1,19})-(\d{1,19})$/.exec(scanId);
  return match ? redoPosition(match[1] as string, match[2] as string) : undefined;
}
