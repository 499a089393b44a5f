/** A message blob's path under a volume root, with the default shifts and masks (spec §5). */
export function blobStorePath(mailboxId: number, itemId: number, modContent: number): string {
  return `${(mailboxId >> 12) & 255}/${mailboxId}/msg/${(itemId >> 12) & 255}/${itemId}-${modContent}.msg`;
}
