import { z } from 'zod';
import { indexKeys } from '#core/index-keys.ts';
import { parseOrThrow } from '#core/validation.ts';

/** An account's link to a mailbox it has had (ACCT#<zimbraId> partition), written when the mailbox is created. */
export interface AccountMailbox {
  serverId: string;
  mailboxId: number;
  createdAt: number;
}

export function accountMailboxItem(accountId: string, link: AccountMailbox): Record<string, unknown> {
  return {
    pk: indexKeys.account(accountId),
    sk: indexKeys.accountMailbox(link.serverId, link.mailboxId),
    ...link,
  };
}

const accountMailboxSchema = z.looseObject({
  serverId: z.string(),
  mailboxId: z.number().int(),
  createdAt: z.number(),
});

/** The link as read from the table, checked; a malformed one is a ValidationError naming its key. */
export function accountMailboxOf(item: Record<string, unknown>): AccountMailbox {
  const { serverId, mailboxId, createdAt } = parseOrThrow(
    accountMailboxSchema,
    item,
    `account item ${String(item.pk)} ${String(item.sk)}`,
  );
  return { serverId, mailboxId, createdAt };
}
