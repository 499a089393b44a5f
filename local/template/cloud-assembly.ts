import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createApp, STACK_NAME } from '#infra/create-app.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

export interface Assembly {
  readonly template: CfnTemplate;
  /** The cloud assembly directory: function code is in its `asset.<hash>` folders, as deployed. */
  readonly directory: string;
}

/**
 * Synthesizes the real stack (same code, same esbuild bundles as `cdk deploy`) into `outdir`.
 * `context` is the CDK context, e.g. `{ offsite: { objectLock: { mode: 'GOVERNANCE', days: 1 } } }`.
 */
export function synthesize(outdir: string, context: Record<string, unknown> = {}): Assembly {
  // The CDK CLI sets this itself; without it the template does not say where each function's bundle is.
  const { app } = createApp({ outdir, context: { 'aws:cdk:enable-asset-metadata': true, ...context } });
  const assembly = app.synth();
  return readAssembly(assembly.directory);
}

export function readAssembly(directory: string): Assembly {
  const template = JSON.parse(
    readFileSync(path.join(directory, `${STACK_NAME}.template.json`), 'utf8'),
  ) as CfnTemplate;
  return { template, directory };
}

/**
 * The assembly of `context` from `cacheDir`, synthesized there once (a test run starts many local clouds
 * from one unchanged tree: bundling every function each time costs seconds per cloud). The cache must not
 * outlive the tree it was built from: one test run owns it.
 */
export function synthesizeCached(cacheDir: string, context: Record<string, unknown> = {}): Assembly {
  const directory = path.join(
    cacheDir,
    createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 16),
  );
  if (existsSync(directory)) return readAssembly(directory);
  const building = `${directory}.building-${process.pid}`;
  synthesize(building, context);
  rmSync(directory, { recursive: true, force: true });
  renameSync(building, directory);
  return readAssembly(directory);
}
