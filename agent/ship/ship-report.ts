/** What one shipping run did; every stage adds to the same report. */
export interface ShipReport {
  spooled: number;
  uploaded: number;
  announced: number;
  bytes: number;
  gaps: { fromSequence: string; toSequence: string }[];
  cursor: { sequence: string; offset: number } | null;
}

export function emptyShipReport(): ShipReport {
  return { spooled: 0, uploaded: 0, announced: 0, bytes: 0, gaps: [], cursor: null };
}
