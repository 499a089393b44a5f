import { UnsupportedTemplateError } from '#local/errors.ts';

export interface PhysicalResource {
  /** What `Ref` returns. */
  readonly ref: string;
  /** What `Fn::GetAtt` returns, by attribute name. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ResolveContext {
  readonly region: string;
  readonly account: string;
  readonly resources: ReadonlyMap<string, PhysicalResource>;
}

/** Resolves the CloudFormation intrinsic functions CDK emits for our stack against local physical names. */
export function resolve(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    return resolveFunction(first[0], first[1], ctx);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, ctx)]));
}

export function resolveString(value: unknown, ctx: ResolveContext, where: string): string {
  const resolved = resolve(value, ctx);
  if (typeof resolved !== 'string') {
    throw new UnsupportedTemplateError(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
  }
  return resolved;
}

function resolveFunction(name: string, arg: unknown, ctx: ResolveContext): unknown {
  switch (name) {
    case 'Ref':
      return ref(String(arg), ctx);
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
      const resource = ctx.resources.get(String(id));
      const found = resource?.attributes[String(attribute)];
      if (found === undefined)
        throw new UnsupportedTemplateError(`Fn::GetAtt ${id}.${attribute} is not known locally`);
      return found;
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((part) => resolve(part, ctx)).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number, unknown];
      const items = resolve(list, ctx) as unknown[];
      return items[Number(index)];
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return String(resolve(source, ctx)).split(separator);
    }
    case 'Fn::Sub': {
      const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
      return text.replace(/\$\{([^}]+)\}/g, (_, expr: string) => {
        if (expr in vars) return String(resolve(vars[expr], ctx));
        if (expr.includes('.')) return String(resolveFunction('Fn::GetAtt', expr, ctx));
        return ref(expr, ctx);
      });
    }
    default:
      throw new UnsupportedTemplateError(`intrinsic ${name} is not emulated by the local runtime`);
  }
}

function ref(id: string, ctx: ResolveContext): string {
  switch (id) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.account;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return 'Offsite';
    default: {
      const resource = ctx.resources.get(id);
      if (!resource) throw new UnsupportedTemplateError(`Ref ${id}: no such resource was created locally`);
      return resource.ref;
    }
  }
}
