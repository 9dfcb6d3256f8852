// The embedded models: a small policy and a classifier PRM that mcts-gen trains itself on its built-in
// arithmetic task (scripts/train.ts) and ships under models/. `embedded` and `embedded-prm` are the
// `onnx` and `onnx-prm` plugins with the model directory fixed to the package's copy and the options
// the models were trained for as defaults; every other option of those plugins applies unchanged.
// Imports node:fs/path/url, src/core and this folder.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { McgError, definePolicy, defineRewardModel, intIn, numberIn, oneOf } from '../../src/core/index.js';
import { createOnnxPolicy, onnxPolicyOptions } from './policy.js';
import { createOnnxPrm, onnxPrmOptions } from './reward.js';
import { PROMPT_FORMATS } from './prompt-format.js';

/** Name of the embedded policy and PRM under models/. */
export const EMBEDDED_POLICY = 'arith-policy';
export const EMBEDDED_PRM = 'arith-prm';

/** The step delimiter the embedded models were trained with (the run's default). */
export const EMBEDDED_STEP_DELIMITER = '\n\n';
/** Options the embedded policy was trained for. */
export const EMBEDDED_POLICY_DEFAULTS = { promptFormat: 'raw', promptTemplate: '{prompt}{delimiter}', stepDelimiter: EMBEDDED_STEP_DELIMITER, maxTokens: 48, temperature: 1 } as const;
/** Options the embedded PRM was trained for: prompt + delimiter, then each step + "<sep>" + delimiter. */
export const EMBEDDED_PRM_DEFAULTS = {
  head: 'classifier',
  tagToken: '<sep>',
  beforeTag: '',
  afterTag: EMBEDDED_STEP_DELIMITER,
  promptFormat: 'raw',
  promptTemplate: '{prompt}{delimiter}',
  stepDelimiter: EMBEDDED_STEP_DELIMITER,
  stepScore: 'last',
} as const;

let cachedRoot: string | undefined;

/** The models/ directory of the installed package (found upwards from this module, in src or dist). */
export function embeddedModelsDir(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return (cachedRoot = join(dir, 'models'));
    dir = dirname(dir);
  }
  throw new McgError('PLUGIN_UNAVAILABLE', `the embedded models were not found: no models/ directory next to a package.json above ${fileURLToPath(import.meta.url)}`);
}

/** Directory of one embedded model by name, checked to exist. */
export function embeddedModelDir(name: string): string {
  const dir = join(embeddedModelsDir(), name);
  if (!existsSync(join(dir, 'config.json'))) {
    throw new McgError('PLUGIN_UNAVAILABLE', `embedded model "${name}" is not in ${embeddedModelsDir()} (reinstall mcts-gen, or train it: see models/README.md)`);
  }
  return dir;
}

const modelName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be the name of a directory under models/ (e.g. "arith-policy")' });

export const embeddedPolicyOptions = onnxPolicyOptions.omit({ modelDir: true, modelFile: true, dtype: true }).extend({
  /** Which embedded model (a directory under models/). */
  model: modelName.default(EMBEDDED_POLICY),
  promptFormat: oneOf(PROMPT_FORMATS).default(EMBEDDED_POLICY_DEFAULTS.promptFormat),
  stepDelimiter: z.string().min(1, { error: 'must be a non-empty string' }).default(EMBEDDED_POLICY_DEFAULTS.stepDelimiter),
  maxTokens: intIn(1, 65_536).default(EMBEDDED_POLICY_DEFAULTS.maxTokens),
  temperature: numberIn(0, 10).default(EMBEDDED_POLICY_DEFAULTS.temperature),
  /** One thread per session: pool workers already use every core. */
  intraOpNumThreads: intIn(0, 1024).default(1),
});
export type EmbeddedPolicyOptions = z.output<typeof embeddedPolicyOptions>;

export const embeddedPolicy = definePolicy({
  kind: 'embedded',
  options: embeddedPolicyOptions,
  create: ({ model, ...rest }, env) => createOnnxPolicy(onnxPolicyOptions.parse({ ...rest, modelDir: embeddedModelDir(model) }), env),
});

export const embeddedPrmOptions = onnxPrmOptions.omit({ modelDir: true, modelFile: true, dtype: true }).extend({
  model: modelName.default(EMBEDDED_PRM),
  head: oneOf(['step-tag', 'classifier']).default(EMBEDDED_PRM_DEFAULTS.head),
  tagToken: z.string().min(1).default(EMBEDDED_PRM_DEFAULTS.tagToken),
  beforeTag: z.string().default(EMBEDDED_PRM_DEFAULTS.beforeTag),
  afterTag: z.string().default(EMBEDDED_PRM_DEFAULTS.afterTag),
  stepDelimiter: z.string().min(1, { error: 'must be a non-empty string' }).default(EMBEDDED_PRM_DEFAULTS.stepDelimiter),
  intraOpNumThreads: intIn(0, 1024).default(1),
});
export type EmbeddedPrmOptions = z.output<typeof embeddedPrmOptions>;

export const embeddedPrm = defineRewardModel({
  kind: 'embedded-prm',
  options: embeddedPrmOptions,
  create: ({ model, ...rest }, env) => createOnnxPrm(onnxPrmOptions.parse({ ...rest, modelDir: embeddedModelDir(model) }), env),
});
