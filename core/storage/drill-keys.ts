import { BUCKET } from '#core/storage/bucket-layout.ts';

// A drill's signed attestation lives at `drills/<YYYY-MM-DD>/<drill id>.json`, dated by when the drill
// started, so a listing in key order is a listing by date.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const drillKeys = {
  prefix: BUCKET.drills,
  attestation: (startedAt: string, drillId: string) =>
    `${BUCKET.drills}${startedAt.slice(0, 10)}/${drillId}.json`,
  /** The first key of a date (a listing from `since` starts after it). */
  dateStart: (date: string) => `${BUCKET.drills}${date.slice(0, 10)}/`,
};

/** The date and drill id of an attestation key; undefined for any other key under `drills/`. */
export function parseDrillKey(key: string): { date: string; drillId: string } | undefined {
  const match = /^drills\/(\d{4}-\d{2}-\d{2})\/([^/]+)\.json$/.exec(key);
  if (!match || !UUID.test(match[2] as string)) return undefined;
  return { date: match[1] as string, drillId: match[2] as string };
}
