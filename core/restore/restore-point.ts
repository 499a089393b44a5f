import { redoPosition } from '#core/index/redo-position.ts';

/** The instant a restore goes back to: a commit time (ms), or a redo position (everything committed up to it). */
export type RestorePoint = { readonly time: number } | { readonly position: string };

/** A version as far as "valid at a point" needs it; `to*` absent: still current. */
export interface PointedVersion {
  readonly fromPos: string;
  readonly fromTime: number;
  readonly toPos?: string;
  readonly toTime?: number;
}

/** `<seq>` means the end of that redo file; `<seq>:<offset>`, everything committed at or before the offset. */
export function positionOfSequence(sequence: string): string {
  const [seq, offset] = sequence.split(':');
  return redoPosition(seq as string, offset ?? '99999999999999999999');
}

export function startedBy(v: PointedVersion, point: RestorePoint): boolean {
  return 'time' in point ? v.fromTime <= point.time : v.fromPos <= point.position;
}

export function validAt(v: PointedVersion, point: RestorePoint): boolean {
  if (!startedBy(v, point)) return false;
  if ('time' in point) return v.toTime === undefined || v.toTime > point.time;
  return v.toPos === undefined || v.toPos > point.position;
}

export function describePoint(point: RestorePoint): string {
  return 'time' in point ? new Date(point.time).toISOString() : `redo position ${point.position}`;
}
