/** What applying a bundle did to one account of a target. */
export interface ApplyAccountReport {
  account: string;
  target: string;
  folders: number;
  appended: number;
  /** Already present (a re-run, or the message was there before). */
  skipped: number;
  /** Bytes of the messages appended. */
  bytes: number;
  /** Contacts are kept in the bundle's manifest; mail-only targets cannot hold them. */
  contactsNotApplied: number;
}

export interface ApplyOptions {
  /** Only these accounts (by source or target name). */
  readonly accounts?: readonly string[];
  /** Called after each message. */
  readonly onMessage?: (bytes: number) => void;
}

export function chosen(
  options: ApplyOptions,
  account: { account: { name: string }; target: string },
): boolean {
  if (!options.accounts || options.accounts.length === 0) return true;
  const names = options.accounts.map((a) => a.toLowerCase());
  return names.includes(account.account.name) || names.includes(account.target);
}
