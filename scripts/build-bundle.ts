// The CLI and agent as JavaScript with every dependency inside: `offsite.mjs` and the chunks it loads from
// `chunks/` (what the npm package and the host bundle run, since Node strips TypeScript types only outside
// node_modules). A command's code is a chunk loaded when the command runs, so the agent's daemon does not
// hold the operator's commands in memory: `offsite agent --help` is 65 MiB resident instead of 88 as one file.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository this script belongs to: paths do not depend on the working directory. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE_DIR = `${ROOT}dist`;
export const BUNDLE = `${BUNDLE_DIR}/offsite.mjs`;

/** Builds the bundle into `outdir` (its `chunks/` replaced); returns the entry's path. */
export async function buildBundle(outdir: string = BUNDLE_DIR): Promise<string> {
  // Chunks are named by their content: an earlier build's would stay behind and be packed.
  rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
  await build({
    entryPoints: { offsite: `${ROOT}cli/main.ts` },
    absWorkingDir: ROOT,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    // CommonJS dependencies (the AWS SDK's) call require(): give each chunk one.
    banner: {
      js: "import { createRequire as __offsiteRequire } from 'node:module'; const require = __offsiteRequire(import.meta.url);",
    },
  });
  return join(outdir, 'offsite.mjs');
}

// Quiet: `npm pack --json` runs this (prepack) and its output must stay JSON.
if (import.meta.main) await buildBundle(process.argv[2]);
