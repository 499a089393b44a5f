/** A redo segment as the catalog records it (see recordShipment). */
export interface SegmentItem {
  pk: string;
  sk: string;
  seq: string;
  firstOffset: string;
  lastOffset: string;
  s3Key: string;
  sha256: string;
  codec: string;
  size: number;
  state: string;
  /** First and last record times, as the agent announced them (absent on an entry rebuilt from the bucket). */
  firstOpTime?: string;
  lastOpTime?: string;
}
