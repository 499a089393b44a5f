import { z } from 'zod';

// What an operator can ask of a restore (the `params` of a `restore` operation). Every mode names its
// accounts and its instant the same way; flags that do not apply to a mode are rejected, not ignored.

const accountRef = z.string().min(1).max(320);
/** ISO 8601 with a zone, or epoch milliseconds: the CLI turns what an operator types into this. */
const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]);
/** `<seq>` (everything up to the end of that redo file) or `<seq>:<offset>`. */
const redoSequence = z.string().regex(/^\d{1,19}(:\d{1,19})?$/, 'expected <seq> or <seq>:<offset>');
const folderName = z.string().min(1).max(255);
const serverId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

/** The account a restore writes to instead of the source: an explicit name, or a prefix before the source's. */
const newAccount = z.union([
  z.strictObject({ name: z.email() }),
  z.strictObject({ prefix: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, 'letters, digits and ._+- only') }),
]);

const selection = {
  serverId: serverId.optional(),
  accounts: z.array(accountRef).max(10_000).default([]),
  domains: z.array(z.string().min(1).max(255)).max(1000).default([]),
  all: z.boolean().default(false),
  /** Work items hold at most this many messages (the planner's split). */
  chunkItems: z.number().int().min(1).max(5000).default(500),
};

const point = {
  at: instant.optional(),
  sequence: redoSequence.optional(),
};

export const restoreParamsSchema = z
  .discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('point-in-time'),
      ...selection,
      ...point,
      /** Ignore deletions, emptied folders, moves to Trash and purges, as zmrestore -skipDeletes does. */
      skipDeletes: z.boolean().default(false),
      newAccount: newAccount.optional(),
    }),
    z.strictObject({
      mode: z.literal('undelete'),
      ...selection,
      from: instant,
      to: instant.optional(),
      folder: folderName.optional(),
      newAccount: newAccount.optional(),
    }),
    z.strictObject({
      mode: z.literal('item'),
      ...selection,
      ...point,
      itemIds: z.array(z.number().int().min(1)).min(1).max(10_000),
      folder: folderName.optional(),
      newAccount: newAccount.optional(),
    }),
    z.strictObject({
      mode: z.literal('deleted-account'),
      ...selection,
      newAccount: newAccount.optional(),
    }),
    z.strictObject({
      mode: z.literal('ldap'),
      ...selection,
      ...point,
      /** Password hashes too, from the LDAP dump in effect at the instant: operators only. */
      withSecrets: z.literal(true).optional(),
    }),
  ])
  .superRefine((params, ctx) => {
    const named = params.accounts.length + params.domains.length + (params.all ? 1 : 0);
    if (named === 0)
      ctx.addIssue({ code: 'custom', path: ['accounts'], message: 'name accounts, domains, or all' });
    if (params.all && (params.accounts.length > 0 || params.domains.length > 0))
      ctx.addIssue({
        code: 'custom',
        path: ['all'],
        message: '"all" cannot be combined with accounts or domains',
      });
    if ('at' in params && params.at !== undefined && params.sequence !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['sequence'],
        message: 'give a time or a redo sequence, not both',
      });
    if (
      (params.mode === 'item' || params.mode === 'deleted-account') &&
      (params.accounts.length !== 1 || named !== 1)
    )
      ctx.addIssue({
        code: 'custom',
        path: ['accounts'],
        message: `a ${params.mode} restore names exactly one account`,
      });
    if ('newAccount' in params && params.newAccount && 'name' in params.newAccount && named > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['newAccount'],
        message: 'an explicit new account name needs exactly one source account (use a prefix for several)',
      });
    if (params.mode === 'undelete' && params.to !== undefined && toMs(params.to) < toMs(params.from))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'the window ends before it starts' });
  });

export type RestoreParams = z.output<typeof restoreParamsSchema>;
export type RestoreMode = RestoreParams['mode'];
export type NewAccount = z.output<typeof newAccount>;

export function toMs(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** The account a restore writes into. */
export function targetAccountName(source: string, request: NewAccount | undefined): string {
  if (!request) return source;
  return 'name' in request ? request.name.toLowerCase() : `${request.prefix}${source}`.toLowerCase();
}
