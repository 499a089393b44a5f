import type { z } from 'zod';
import { ValidationError } from '#core/errors.ts';

/** One line per problem, naming the key and what is accepted, e.g. `objectLock.mode: expected one of "GOVERNANCE" | "COMPLIANCE"`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length > 0 ? `${path}: ` : '';
      return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return `${path}: ${issue.message}`;
  });
}

/** Parses `input` with `schema`, or throws a ValidationError whose message lists every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  throw new ValidationError(`invalid ${what}:\n  - ${issues.join('\n  - ')}`, issues, {
    cause: result.error,
  });
}
