// A small evaluator of the IAM policies a synthesized template gives a role, for the statements offsite writes
// (Allow/Deny; actions and resources with `*`; StringEquals, StringLike, Null, Bool, ForAnyValue:StringEquals
// conditions): what a principal may do is checked against a table of calls, where no IAM-enforcing backend
// runs. An ARN the template computes is named symbolically: `Fn::GetAtt: [Id, Arn]` reads `arn:<Id>`.

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** One call: the action, the resource ARN (symbolic), and the request's condition keys. */
export interface Call {
  action: string;
  resource: string;
  context?: Record<string, string | string[] | undefined>;
}

/** The symbolic ARN of a template resource (`arn:<logical id>`), as the evaluator resolves GetAtt Arn. */
export function arnOf(template: Template, logicalIdPrefix: string): string {
  const id = Object.keys(template.Resources).find((k) => k.startsWith(logicalIdPrefix));
  if (!id) throw new Error(`no resource ${logicalIdPrefix}…`);
  return `arn:${id}`;
}

/** The statements of every inline policy attached to the role whose logical id starts with `rolePrefix`. */
export function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const role = Object.keys(template.Resources).find(
    (k) => k.startsWith(rolePrefix) && template.Resources[k]?.Type === 'AWS::IAM::Role',
  );
  if (!role) throw new Error(`no role ${rolePrefix}…`);
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties?.Roles).includes(`"${role}"`))
    .flatMap(
      (r) => (r.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
}

/** Whether the statements allow the call: an explicit deny wins, then any allow; nothing else is allowed. */
export function isAllowed(statements: readonly Statement[], call: Call): boolean {
  const applies = (st: Statement) =>
    [st.Action].flat().some((a) => wildcard(a, call.action)) &&
    [st.Resource].flat().some((r) => wildcard(resolve(r), call.resource)) &&
    conditionsHold(st.Condition, call.context ?? {});
  if (statements.some((st) => st.Effect === 'Deny' && applies(st))) return false;
  return statements.some((st) => st.Effect === 'Allow' && applies(st));
}

/**
 * The role's inline policies as one policy document an IAM-enforcing backend can load: every ARN the template
 * computes is replaced by the real ARN `arns` gives for the logical id's prefix (e.g. `BackupBucket`).
 */
export function policyDocumentOf(
  template: Template,
  rolePrefix: string,
  arns: Record<string, string>,
): { Version: string; Statement: Statement[] } {
  const concrete = (symbolic: string) => {
    let out = symbolic;
    // `arn:<Id>` (GetAtt Arn) anywhere, or a bare `<Id>` (the Ref of a topic, which is its ARN).
    for (const [prefix, arn] of Object.entries(arns))
      out = out.replace(new RegExp(`^${prefix}[A-Za-z0-9]*$|arn:${prefix}[A-Za-z0-9]*`, 'g'), arn);
    if (/arn:[A-Z]|^[A-Z][A-Za-z0-9]*$/.test(out))
      throw new Error(`${rolePrefix}: no real ARN given for ${out}`);
    return out;
  };
  return {
    Version: '2012-10-17',
    Statement: statementsOf(template, rolePrefix).map((st) => ({
      ...st,
      Resource: [st.Resource].flat().map((r) => concrete(resolve(r))),
    })),
  };
}

function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::GetAtt'])) return `arn:${(v['Fn::GetAtt'] as string[])[0]}`;
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(sep);
  }
  return JSON.stringify(value);
}

function wildcard(pattern: string, text: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(text);
}

function conditionsHold(
  conditions: Statement['Condition'],
  context: Record<string, string | string[] | undefined>,
): boolean {
  for (const [operator, keys] of Object.entries(conditions ?? {}))
    for (const [key, expected] of Object.entries(keys)) {
      const wanted = [expected].flat().map(String);
      const actual = context[key];
      const values = actual === undefined ? [] : [actual].flat();
      switch (operator) {
        case 'StringEquals':
        case 'Bool':
          if (!(values.length > 0 && values.every((v) => wanted.includes(v)))) return false;
          break;
        case 'StringLike':
          if (!(values.length > 0 && values.every((v) => wanted.some((w) => wildcard(w, v))))) return false;
          break;
        case 'ForAnyValue:StringEquals':
          if (!values.some((v) => wanted.includes(v))) return false;
          break;
        case 'Null':
          if ((actual === undefined) !== (wanted[0] === 'true')) return false;
          break;
        default:
          throw new Error(`condition operator ${operator} is not modelled by the evaluator`);
      }
    }
  return true;
}
