import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STACK_NAME } from '#infra/stack-name.ts';

const execFileAsync = promisify(execFile);
/** The synthesis runs in a child process (see synth-main.ts). */
const SYNTH_MAIN = fileURLToPath(new URL('./synth-main.ts', import.meta.url));

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
export async function synthesize(outdir: string, context: Record<string, unknown> = {}): Promise<Assembly> {
  try {
    await execFileAsync(process.execPath, [SYNTH_MAIN, outdir, JSON.stringify(context)], {
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`synthesizing the stack failed: ${stderr.trim().split('\n').slice(-20).join('\n')}`, {
      cause: error,
    });
  }
  return readAssembly(outdir);
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
export async function synthesizeCached(
  cacheDir: string,
  context: Record<string, unknown> = {},
): Promise<Assembly> {
  const directory = path.join(
    cacheDir,
    createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 16),
  );
  if (existsSync(directory)) return readAssembly(directory);
  const building = `${directory}.building-${process.pid}`;
  await synthesize(building, context);
  rmSync(directory, { recursive: true, force: true });
  renameSync(building, directory);
  return readAssembly(directory);
}
