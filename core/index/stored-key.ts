import { ValidationError } from '#core/errors.ts';

/** The primary key of an item read from a table, checked: every item there has string `pk` and `sk`. */
export function storedKey(item: Record<string, unknown>): { pk: string; sk: string } {
  const { pk, sk } = item;
  if (typeof pk !== 'string' || typeof sk !== 'string') {
    const problem = `an item's key is not two strings (pk ${typeof pk}, sk ${typeof sk})`;
    throw new ValidationError(`invalid index item: ${problem}`, [problem]);
  }
  return { pk, sk };
}
