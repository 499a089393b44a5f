// The CLI and agent as one JavaScript file (`dist/offsite.mjs`): what the npm package and the host bundle
// run, since Node strips TypeScript types only outside node_modules. Every dependency is inside it.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository this script belongs to: paths do not depend on the working directory. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE = `${ROOT}dist/offsite.mjs`;

export async function buildBundle(outfile: string = BUNDLE): Promise<void> {
  await build({
    entryPoints: [`${ROOT}cli/main.ts`],
    absWorkingDir: ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    // CommonJS dependencies (the AWS SDK's) call require(): give the module one.
    banner: {
      js: "import { createRequire as __offsiteRequire } from 'node:module'; const require = __offsiteRequire(import.meta.url);",
    },
  });
}

if (import.meta.main) await buildBundle(process.argv[2]);
