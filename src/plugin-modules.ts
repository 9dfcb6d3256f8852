// Loads the plugin modules a config names (`pluginModules`) and registers every plugin definition
// they export, on a copy of the given registry. Used in the main thread and in each pool worker.

import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { McgError } from './core/errors.js';
import { isPluginDefinition, type PluginEnv, type PluginRegistry } from './core/plugin.js';

/** `registry` itself when `modules` is empty, else a copy with the modules' definitions added. */
export async function withPluginModules(registry: PluginRegistry, modules: readonly string[], env: PluginEnv): Promise<PluginRegistry> {
  if (modules.length === 0) return registry;
  const out = registry.clone();
  for (const spec of modules) {
    const target = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(env.baseDir, spec)).href : spec;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(target)) as Record<string, unknown>;
    } catch (err) {
      throw new McgError('PLUGIN_UNAVAILABLE', `pluginModules: cannot load "${spec}": ${(err as Error).message}`, { cause: err });
    }
    let found = 0;
    for (const value of Object.values(mod)) {
      if (!isPluginDefinition(value)) continue;
      out.register(value.role, value.kind, value);
      found++;
    }
    if (found === 0) throw new McgError('PLUGIN_UNAVAILABLE', `pluginModules: "${spec}" exports no plugin definition (use definePolicy, defineRewardModel or defineVerifier)`);
  }
  return out;
}
