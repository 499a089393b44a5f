import type { AgentLog } from '#agent/observability.ts';
import type { AgentState } from '#agent/ship/agent-state.ts';
import type { Spool } from '#agent/ship/spool.ts';

interface Position {
  sequence: string;
  offset: number;
}

/**
 * Repairs what a crash can leave between two durable writes: entries announced but not removed are done,
 * and a segment spooled before the cursor moved past it must not be cut again (a second cut from the old
 * cursor would overlap it with different bounds).
 */
export async function reconcileSpool(spool: Spool, state: AgentState, log: AgentLog): Promise<void> {
  const announced = state.data.announced;
  if (announced) {
    for (const entry of spool.list())
      if (entry.kind !== 'ldap' && entry.id <= announced.id) await spool.remove(entry.id);
  }
  const last = spool.list().findLast((e) => e.kind === 'segment' || e.kind === 'seal');
  if (!last) return;
  const end =
    last.kind === 'seal'
      ? { sequence: String(BigInt(last.sequence) + 1n), offset: 0 }
      : { sequence: last.sequence, offset: last.last };
  const cursor = state.data.cursor;
  if (!cursor || comparePositions(end, cursor) > 0) {
    log.info('moving the cursor past the last spooled entry', { from: cursor, to: end });
    await state.update((s) => {
      s.cursor = end;
    });
  }
}

function comparePositions(a: Position, b: Position): number {
  const sa = BigInt(a.sequence);
  const sb = BigInt(b.sequence);
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.offset - b.offset;
}
