import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandPaths, runCommandLine } from '#cli/command-registry.ts';
import type { CommandSpec } from '#cli/command-spec.ts';
import { OFFSITE_COMMAND } from '#cli/specs/offsite-command.ts';

/** Runs `offsite ARGV` in this process; what it wrote, separately. */
async function offsite(argv: string[], root: CommandSpec = OFFSITE_COMMAND) {
  let stdout = '';
  let stderr = '';
  const code = await runCommandLine(root, argv, {
    write: (text) => {
      stdout += text;
    },
    error: (text) => {
      stderr += text;
    },
    env: {},
  });
  return { code, stdout, stderr };
}

/** The tree with every command's run replaced: what a command line parses to, without running it. */
function parsedOnly(
  spec: CommandSpec,
  seen: { path: string; values: unknown; positionals: string[] }[],
): CommandSpec {
  return {
    ...spec,
    ...(spec.run
      ? {
          run: (input) => {
            seen.push({ path: spec.name, values: input.values, positionals: input.positionals });
            return 0;
          },
        }
      : {}),
    ...(spec.commands ? { commands: spec.commands.map((sub) => parsedOnly(sub, seen)) } : {}),
  };
}

function specAt(path: readonly string[]): CommandSpec {
  let spec = OFFSITE_COMMAND;
  for (const name of path) spec = spec.commands?.find((c) => c.name === name) as CommandSpec;
  return spec;
}

/** Shell words of an example (quotes as a shell reads them; no expansions). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const paths = commandPaths(OFFSITE_COMMAND);

describe('the offsite command registry', () => {
  it('has the commands an operator looks for', () => {
    const names = paths.map((p) => p.join(' '));
    for (const expected of [
      'backup list',
      'restore apply',
      'agent run',
      'agent status',
      'scan smart',
      'redo dump',
    ])
      assert.ok(names.includes(expected), expected);
    assert.ok(paths.length > 40, `${paths.length} commands`);
  });

  it('answers --help with exit 0 at every level, showing usage, options, defaults and an example', async () => {
    const top = await offsite(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^Usage: offsite/);
    assert.match(top.stdout, /Exit codes:/);
    for (const path of paths) {
      const spec = specAt(path);
      const out = await offsite([...path, '--help']);
      const flat = out.stdout.replace(/\s+/g, ' ');
      const name = path.join(' ');
      assert.equal(out.code, 0, name);
      assert.equal(out.stderr, '', name);
      assert.ok(out.stdout.startsWith(`Usage: offsite ${name}`), `${name}: ${out.stdout.slice(0, 80)}`);
      for (const [option, declared] of Object.entries(spec.options ?? {})) {
        assert.ok(out.stdout.includes(`--${option}`), `${name} --help shows --${option}`);
        if (typeof declared.default === 'string')
          assert.ok(flat.includes(`default: "${declared.default}"`), `${name} --${option} default`);
      }
      if (spec.run) assert.match(out.stdout, /Examples:\n {2}\$ offsite /, `${name} has an example`);
      else assert.match(out.stdout, /Commands:/, `${name} lists its commands`);
    }
  });

  it('parses every example of every command as written', async () => {
    for (const path of paths) {
      for (const example of specAt(path).examples ?? []) {
        if (example.includes('$(') || example.includes('<(')) continue;
        // What a shell would run: up to a pipe, a redirection or a comment.
        const argv = words(example.split(/ [|>#] /)[0] as string);
        assert.equal(argv[0], 'offsite', example);
        const seen: { path: string; values: unknown; positionals: string[] }[] = [];
        const out = await offsite(argv.slice(1), parsedOnly(OFFSITE_COMMAND, seen));
        assert.equal(out.code, 0, `${example}: ${out.stderr}`);
        assert.equal(seen.length, 1, example);
        assert.equal(seen[0]?.path, path.at(-1) === undefined ? '' : specAt(path).name, example);
      }
    }
  });

  it('gives each command its options by their declared names, defaults filled in', async () => {
    const seen: { path: string; values: unknown; positionals: string[] }[] = [];
    const tree = parsedOnly(OFFSITE_COMMAND, seen);
    assert.equal(
      (await offsite(['restore', 'item', 'alice', '257', '301', '--new-account', 'bob', '--at', 'now'], tree))
        .code,
      0,
    );
    assert.equal((await offsite(['scan', 'smart', '--account', 'a', '--account', 'b'], tree)).code, 0);
    assert.deepEqual(seen[0]?.positionals, ['alice', '257', '301']);
    const item = seen[0]?.values as Record<string, unknown>;
    assert.equal(item['new-account'], 'bob');
    assert.equal(item.wait, false);
    const scan = seen[1]?.values as Record<string, unknown>;
    assert.deepEqual(scan.account, ['a', 'b']);
    assert.deepEqual(scan.domain, []);
    assert.equal(scan.config, '/etc/offsite/agent.json');
  });

  it('refuses usage errors with exit 2, naming the option and what it accepts, and writes no result', async () => {
    for (const [argv, pattern] of [
      [['search', 'alice', '--typ', 'task'], /unknown option '--typ'[\s\S]*Did you mean --type\?/],
      [
        ['search', 'alice', '--type', 'mail'],
        /'--type <TYPE>' argument 'mail' is invalid\. Allowed choices are message, contact/,
      ],
      [
        ['ops', 'list', '--state', 'done'],
        /Allowed choices are queued, running, succeeded, failed, stopped, all/,
      ],
      [['restore', 'ldap', 'alice', '--skip-deletes'], /unknown option '--skip-deletes'/],
      [['backup', 'lst'], /unknown command 'lst'[\s\S]*Did you mean list\?/],
      [['mailbox'], /missing required argument 'account'/],
      [['item', 'alice', '1', '2'], /too many arguments/],
      [['ops', 'show'], /missing required argument 'operation'/],
      [['restore', 'apply', 'x', '--resolve', 'merge'], /Allowed choices are skip, modify, replace, reset/],
      [['agent', 'run', '--json'], /unknown option '--json'/],
    ] as const) {
      const out = await offsite([...argv]);
      assert.equal(out.code, 2, argv.join(' '));
      assert.match(out.stderr, pattern, argv.join(' '));
      assert.equal(out.stdout, '', argv.join(' '));
    }
  });

  it('shows the group help as a usage error when a group is given no command', async () => {
    const out = await offsite(['ops']);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /Usage: offsite ops[\s\S]*monitor/);
  });

  it('lets a command error through to the caller, which maps it to its exit code', async () => {
    await assert.rejects(offsite(['ops', 'list']), /OFFSITE_CONTROL_URL/);
  });
});
