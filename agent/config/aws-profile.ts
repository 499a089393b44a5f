/**
 * An AWS shared config file (`~/.aws/config`) with the section `[profile <name>]` set to `entries`: the
 * section is replaced where it is, or added at the end; every other line stays as it was.
 */
export function withProfile(text: string, name: string, entries: Readonly<Record<string, string>>): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`not a profile name: ${JSON.stringify(name)}`);
  for (const [key, value] of Object.entries(entries))
    if (!/^[a-z_]+$/.test(key) || /[\r\n]/.test(value)) throw new Error(`not a config entry: ${key}`);
  const section = [`[profile ${name}]`, ...Object.entries(entries).map(([k, v]) => `${k} = ${v}`)];
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const header = (line: string) => /^\s*\[.*\]\s*$/.test(line);
  const start = lines.findIndex((line) => line.trim() === `[profile ${name}]`);
  if (start === -1) return `${[...lines, ...(lines.length > 0 ? [''] : []), ...section].join('\n')}\n`;
  let end = start + 1;
  while (end < lines.length && !header(lines[end] as string)) end++;
  // Keep a blank line before the next section, as it was.
  while (end > start + 1 && (lines[end - 1] as string).trim() === '') end--;
  return `${[...lines.slice(0, start), ...section, ...lines.slice(end)].join('\n')}\n`;
}
