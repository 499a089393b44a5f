// Synthesizes the stack into a directory, in a process of its own: the CDK's module graph is a heap of its
// own (hundreds of MB), and a process that loaded it allocates several times slower for good. The local
// cloud runs this and reads the template it writes.
//   node local/template/synth-main.ts <outdir> <context as JSON>
import { createApp } from '#infra/create-app.ts';

const [outdir, context = '{}'] = process.argv.slice(2);
if (!outdir) {
  process.stderr.write('usage: synth-main.ts <outdir> [context JSON]\n');
  process.exit(2);
}
// The CDK CLI sets this itself; without it the template does not say where each function's bundle is.
const { app } = createApp({
  outdir,
  context: { 'aws:cdk:enable-asset-metadata': true, ...(JSON.parse(context) as Record<string, unknown>) },
});
app.synth();
