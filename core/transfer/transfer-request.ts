import { z } from 'zod';

// What an operator can ask of an export or an import (the `params` of those operations). Where an export
// goes and where an import comes from is a bucket and a prefix: this deployment's own bucket (under
// `exports/`, the default) or one of the transfer buckets the stack configuration names.

export const EXPORTS_PREFIX = 'exports/';

/** Path segments of letters, digits and `._-`, separated by `/`: nothing that climbs or hides. */
const prefix = z
  .string()
  .max(512)
  .regex(
    /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/?$/,
    'expected path segments of letters, digits and ._- separated by / (no leading dot or slash)',
  );
const bucket = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
  .optional();
const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]);
const serverId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
/** Blobs one work item copies. */
const chunkBlobs = z.number().int().min(1).max(5000).default(500);

export const exportParamsSchema = z
  .strictObject({
    serverId: serverId.optional(),
    accounts: z.array(z.string().min(1).max(320)).max(10_000).default([]),
    domains: z.array(z.string().min(1).max(255)).max(1000).default([]),
    all: z.boolean().default(false),
    /** The instant exported (default: when the operation was created). */
    at: instant.optional(),
    bucket,
    /** Default: `exports/<operation id>/` in this deployment's bucket. */
    prefix: prefix.optional(),
    chunkBlobs,
  })
  .superRefine((params, ctx) => {
    const named = params.accounts.length + params.domains.length + (params.all ? 1 : 0);
    if (named === 0)
      ctx.addIssue({ code: 'custom', path: ['accounts'], message: 'name accounts, domains, or all' });
    if (params.all && named > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['all'],
        message: '"all" cannot be combined with accounts or domains',
      });
  });
export type ExportParams = z.output<typeof exportParamsSchema>;

export const importParamsSchema = z.strictObject({
  bucket,
  /** Where the export's `manifest.json` is. */
  prefix,
  chunkBlobs,
});
export type ImportParams = z.output<typeof importParamsSchema>;

/** Where an export is: a bucket and a prefix ending in `/`. */
export interface ExportLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** Why a location cannot be used by this deployment, or undefined if it can. */
export function locationProblem(
  location: ExportLocation,
  own: string,
  transferBuckets: readonly string[],
): string | undefined {
  if (location.bucket === own) {
    if (!location.prefix.startsWith(EXPORTS_PREFIX) || location.prefix === EXPORTS_PREFIX)
      return `in this deployment's bucket an export lives under ${EXPORTS_PREFIX}<name>/, not at ${location.prefix}`;
    return undefined;
  }
  if (!transferBuckets.includes(location.bucket))
    return `bucket ${location.bucket} is not a transfer bucket of this deployment (the stack configuration's transferBuckets: ${transferBuckets.join(', ') || 'none'})`;
  return undefined;
}

export function locationOf(bucket: string, prefix: string): ExportLocation {
  return { bucket, prefix: prefix.endsWith('/') ? prefix : `${prefix}/` };
}

export const locationUrl = (location: ExportLocation) => `s3://${location.bucket}/${location.prefix}`;
