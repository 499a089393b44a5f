/** Zimbra's default `zimbra_mailbox_groups`: mailboxes are spread over this many databases. */
export const MAILBOX_GROUPS = 100;

/** The `mboxgroup<N>` database that holds a mailbox's items (spec §5). */
export function mailboxGroup(mailboxId: number, groups = MAILBOX_GROUPS): number {
  return ((mailboxId - 1) % groups) + 1;
}

export function mailboxGroupDatabase(mailboxId: number, groups = MAILBOX_GROUPS): string {
  return `mboxgroup${mailboxGroup(mailboxId, groups)}`;
}
