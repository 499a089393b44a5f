import type { z } from 'zod';
import { ValidationError } from '#core/errors.ts';

/** One line per problem, naming the key and what is accepted, e.g. `objectLock.mode: expected one of "GOVERNANCE" | "COMPLIANCE"`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => describe(issue, []));
}

function describe(issue: z.core.$ZodIssue, prefix: PropertyKey[]): string[] {
  const fullPath = [...prefix, ...issue.path];
  const path = fullPath.length > 0 ? fullPath.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    const where = fullPath.length > 0 ? `${path}: ` : '';
    return [
      `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
    ];
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Explain the branch that got furthest (an object with a bad field), not just "Invalid input".
    const deeper = issue.errors.filter((branch) => branch.some((i) => i.path.length > 0));
    const chosen = deeper.length === 1 ? deeper[0] : undefined;
    if (chosen) return chosen.flatMap((i) => describe(i, fullPath));
  }
  return [`${path}: ${issue.message}`];
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
