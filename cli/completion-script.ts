import type { CommandSpec } from '#cli/command-spec.ts';

/**
 * A bash completion script for the command tree (zsh loads it through bashcompinit): subcommands, then the
 * options of the command typed so far, then the accepted values of an option that has a fixed set.
 */
export function bashCompletion(root: CommandSpec): string {
  const words: string[] = [];
  const choices: string[] = [];
  const walk = (spec: CommandSpec, path: string) => {
    const options = Object.keys(spec.options ?? {}).map((name) => `--${name}`);
    const subs = (spec.commands ?? []).map((sub) => sub.name);
    words.push(`    ${quote(path)}) echo ${quote([...subs, ...options, '--help'].join(' '))} ;;`);
    for (const [name, option] of Object.entries(spec.options ?? {}))
      if (option.choices)
        choices.push(`    ${quote(`${path}|--${name}`)}) echo ${quote(option.choices.join(' '))} ;;`);
    for (const sub of spec.commands ?? []) walk(sub, path ? `${path} ${sub.name}` : sub.name);
  };
  walk(root, '');
  const fn = `_${root.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return `# bash completion for ${root.name}: source it, or put it in /etc/bash_completion.d/${root.name}
# (zsh: autoload -U +X bashcompinit && bashcompinit, then source it)
${fn}_words() {
  case "$1" in
${words.join('\n')}
  esac
}
${fn}_choices() {
  case "$1|$2" in
${choices.join('\n')}
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ $word == -* ]] && continue
    case " $(${fn}_words "$path") " in *" $word "*) path="\${path:+$path }$word" ;; esac
  done
  local values
  values="$(${fn}_choices "$path" "$prev")"
  if [[ -n $values ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$(${fn}_words "$path")" -- "$cur")
  fi
}
complete -F ${fn} ${root.name}
`;
}

/** A single-quoted shell word (command and option names never hold a quote; choices neither). */
function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
