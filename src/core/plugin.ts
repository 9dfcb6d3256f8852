// Plugin definitions and the lazy registry: plugins are named by serializable specs
// (`{ kind, options }`) and loaded with dynamic import() on first use, so importing the library
// loads no model runtime or sandbox, and a worker thread can rebuild any plugin from its spec.

import { z } from 'zod';
import { McgError } from './errors.js';
import { formatIssues } from './issues.js';
import type { Policy, RewardModel, Verifier } from './types.js';

export type PluginRole = 'policy' | 'reward' | 'verifier';

/** Serializable name of a plugin instance: which kind, with which options. */
export interface PluginSpec {
  kind: string;
  options?: Record<string, unknown>;
}

/** What a plugin factory may use besides its options. */
export interface PluginEnv {
  /** Directory that relative paths in options are resolved against (the config file's directory). */
  baseDir: string;
}

interface RoleTypes {
  policy: Policy;
  reward: RewardModel;
  verifier: Verifier;
}

export interface PluginDefinition<R extends PluginRole = PluginRole, S extends z.ZodType = z.ZodType> {
  role: R;
  kind: string;
  /** Options schema. Use strict objects with defaults: a typo must fail with its key path. */
  options: S;
  create(options: z.output<S>, env: PluginEnv): RoleTypes[R] | Promise<RoleTypes[R]>;
}

/** True when `value` has the shape of a plugin definition (as a plugin module exports them). */
export function isPluginDefinition(value: unknown): value is PluginDefinition<PluginRole, z.ZodType> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<PluginDefinition>;
  return (v.role === 'policy' || v.role === 'reward' || v.role === 'verifier') && typeof v.kind === 'string' && typeof v.create === 'function' && typeof v.options === 'object';
}

/** Defines a policy plugin. `options` is a zod schema; `create` receives its parsed output. */
export function definePolicy<S extends z.ZodType>(def: {
  kind: string;
  options: S;
  create(options: z.output<S>, env: PluginEnv): Policy | Promise<Policy>;
}): PluginDefinition<'policy', S> {
  return { role: 'policy', ...def };
}

/** Defines a reward-model plugin. */
export function defineRewardModel<S extends z.ZodType>(def: {
  kind: string;
  options: S;
  create(options: z.output<S>, env: PluginEnv): RewardModel | Promise<RewardModel>;
}): PluginDefinition<'reward', S> {
  return { role: 'reward', ...def };
}

/** Defines a verifier plugin. */
export function defineVerifier<S extends z.ZodType>(def: {
  kind: string;
  options: S;
  create(options: z.output<S>, env: PluginEnv): Verifier | Promise<Verifier>;
}): PluginDefinition<'verifier', S> {
  return { role: 'verifier', ...def };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loader = () => Promise<PluginDefinition<PluginRole, any>>;

/** A registry of plugin kinds per role, each behind a lazy loader. */
export class PluginRegistry {
  private readonly loaders = new Map<string, Loader>();

  /** Registers `kind` for `role`. The loader runs (once per call of `create`) only when the kind is used. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  register(role: PluginRole, kind: string, loader: Loader | PluginDefinition<PluginRole, any>): this {
    const load: Loader = typeof loader === 'function' ? loader : async () => loader;
    this.loaders.set(`${role}:${kind}`, load);
    return this;
  }

  /** A new registry with the same kinds; registering on it leaves this one unchanged. */
  clone(): PluginRegistry {
    const copy = new PluginRegistry();
    for (const [key, load] of this.loaders) copy.loaders.set(key, load);
    return copy;
  }

  kinds(role: PluginRole): string[] {
    const prefix = `${role}:`;
    return [...this.loaders.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
  }

  has(role: PluginRole, kind: string): boolean {
    return this.loaders.has(`${role}:${kind}`);
  }

  /**
   * Builds a plugin from its spec. `keyPath` names the spec in the config (e.g. `policy`) so option
   * errors read `policy.options.errorRate must be a number in [0, 1], got 2`.
   */
  async create<R extends PluginRole>(role: R, spec: PluginSpec, env: PluginEnv, keyPath: string = role): Promise<RoleTypes[R]> {
    const load = this.loaders.get(`${role}:${spec.kind}`);
    if (load === undefined) {
      throw new McgError(
        'PLUGIN_UNAVAILABLE',
        `${keyPath}.kind "${spec.kind}" is not a known ${role} kind (known: ${this.kinds(role).join(', ') || 'none'})`,
      );
    }
    let def: PluginDefinition<PluginRole, z.ZodType>;
    try {
      def = await load();
    } catch (err) {
      throw new McgError('PLUGIN_UNAVAILABLE', `${keyPath}.kind "${spec.kind}" could not be loaded: ${(err as Error).message}`, { cause: err });
    }
    if (def.role !== role || def.kind !== spec.kind) {
      throw new McgError('PLUGIN_UNAVAILABLE', `${keyPath}.kind "${spec.kind}" resolved to a ${def.role} plugin "${def.kind}"`);
    }
    const parsed = def.options.safeParse(spec.options ?? {}, { reportInput: true });
    if (!parsed.success) {
      throw new McgError('CONFIG_INVALID', formatIssues(parsed.error.issues, `${keyPath}.options`, def.options), {
        details: { path: `${keyPath}.options` },
      });
    }
    return (await def.create(parsed.data, env)) as RoleTypes[R];
  }
}
