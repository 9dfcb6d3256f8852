// Trains the embedded models on Node alone (onnxruntime-node runs forward, backward and AdamW as one graph).
//
//   tsx scripts/train.ts policy --out models/arith-policy [--steps N] [--seed S] [--data-seed D] ...
//   tsx scripts/train.ts prm --data steps.jsonl[,more.jsonl] --init-from models/arith-policy --out models/arith-prm
//
// Same arguments and thread count give byte-identical weights. A checkpoint (<out>/checkpoint.bin) is
// written every 200 steps; running the same command again resumes from it. It is removed after export.

import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { VOCAB_SIZE } from './onnx/tiny-models.js';
import { exampleBatches, policyBatches, readPrmExamples, type BatchSource, type PrmDataOptions } from './train/data.js';
import { evaluateGreedy, exportModel, generativePrmRunAs, pickParams, readWeights } from './train/export.js';
import { paramCount, validateSpec, type ModelSpec } from './train/model.js';
import { DEFAULT_TRAIN, train, type TrainSettings } from './train/trainer.js';

const USAGE = `Usage: tsx scripts/train.ts policy|prm --out DIR [options]

Model:     --layers 4 --hidden 128 --heads 4 --ffn 512 --max-positions 512
Training:  --steps N --batch 32 --lr 0.002 --warmup 100 --min-lr-ratio 0.1 --weight-decay 0.01
           --seed S (initial weights) --threads 2
policy:    --data-seed D (built-in problems of seed D; default 1000)  --eval N (greedy check on N held-out problems, default 100)
prm:       --data FILE[,FILE] (steps.jsonl)  --init-from DIR (start from a policy's weights)
           --target labels|values (hard Math-Shepherd labels or soft values; default labels)
           --solved-only true|false (only problems with a verified solution; default true)
           --pair-loss W (add a pairwise loss over sibling steps with weight W; default 0 = off)
           --pairs-per-batch N (sibling pairs in each batch with --pair-loss; default 8)
           --pair-margin M (--target values: least value gap of a pair; default 0.5)
           --head classifier|generative (default classifier: a 2-class head at each step's <sep>;
             generative: the LM head scores a step by its own log-probability, sigmoid(scale * sum + bias),
             trained with a cross-entropy per step; run it with onnx-prm head "generative")
           --generative W (generative head: weight of the pointwise step loss beside the LM loss; default 1)
           --gen-pair-loss W (generative head: weight of a loss over sibling pairs, right above wrong; default 0)
           --gen-scale A --gen-bias B (generative head: the score's logit; defaults 1 and 3)
           --lm-on-good true|false (generative head: next-token loss on steps labelled good; default true)
`;

interface Args {
  task: 'policy' | 'prm';
  out: string;
  spec: ModelSpec;
  settings: TrainSettings;
  batch: number;
  dataSeed: number;
  data: string[];
  initFrom?: string;
  evalCount: number;
  prm: PrmDataOptions;
  pairsPerBatch: number;
}

function parseArgs(argv: string[]): Args {
  const [task, ...rest] = argv;
  if (task !== 'policy' && task !== 'prm') throw new UsageError(`first argument must be "policy" or "prm" (got ${JSON.stringify(task)})`);
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const key = rest[i];
    if (!key.startsWith('--') || i + 1 >= rest.length) throw new UsageError(`expected --flag value pairs, got ${JSON.stringify(key)}`);
    flags.set(key.slice(2), rest[++i]);
  }
  const num = (key: string, fallback: number, integer = true): number => {
    const raw = flags.get(key);
    flags.delete(key);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < 0) throw new UsageError(`--${key} must be a non-negative ${integer ? 'integer' : 'number'} (got ${JSON.stringify(raw)})`);
    return v;
  };
  const str = (key: string): string | undefined => {
    const v = flags.get(key);
    flags.delete(key);
    return v;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const v = str(key) ?? fallback;
    if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
    return v as T;
  };
  const out = str('out');
  if (out === undefined) throw new UsageError('--out DIR is required');
  const spec: ModelSpec = {
    layers: num('layers', 4),
    hidden: num('hidden', 128),
    heads: num('heads', 4),
    ffn: num('ffn', 512),
    maxPositions: num('max-positions', 512),
    vocabSize: VOCAB_SIZE,
    head: 'lm',
  };
  const prmHead = task === 'prm' ? oneOf('head', ['classifier', 'generative'], 'classifier') : 'classifier';
  if (task === 'prm' && prmHead === 'classifier') spec.head = 'classifier';
  validateSpec(spec);
  const settings: TrainSettings = {
    ...DEFAULT_TRAIN,
    steps: num('steps', task === 'policy' ? 4500 : 400),
    seed: num('seed', 1),
    lr: num('lr', task === 'policy' ? DEFAULT_TRAIN.lr : 1e-3, false),
    warmupSteps: num('warmup', DEFAULT_TRAIN.warmupSteps),
    minLrRatio: num('min-lr-ratio', DEFAULT_TRAIN.minLrRatio, false),
    weightDecay: num('weight-decay', DEFAULT_TRAIN.weightDecay, false),
    threads: num('threads', DEFAULT_TRAIN.threads),
  };
  const pairLoss = num('pair-loss', 0, false);
  if (pairLoss > 0) {
    if (task !== 'prm') throw new UsageError('--pair-loss is for the prm task');
    settings.pairLossWeight = pairLoss;
  }
  if (prmHead === 'generative') {
    if (pairLoss > 0) throw new UsageError('--pair-loss is for --head classifier');
    settings.generativeWeight = num('generative', 1, false);
    settings.generativePairWeight = num('gen-pair-loss', 0, false);
    settings.generativeScale = num('gen-scale', 1, false);
    settings.generativeBias = num('gen-bias', 3, false);
  }
  const lmOnGood = prmHead === 'generative' ? oneOf('lm-on-good', ['true', 'false'], 'true') === 'true' : true;
  const pairsPerBatch = num('pairs-per-batch', 8);
  const pairMargin = num('pair-margin', 0.5, false);
  const args: Args = {
    task,
    out: resolve(out),
    spec,
    settings,
    batch: num('batch', 32),
    dataSeed: num('data-seed', 1000),
    data: (str('data') ?? '').split(',').filter((s) => s !== '').map((s) => resolve(s)),
    initFrom: str('init-from'),
    evalCount: num('eval', 100),
    prm: {
      target: oneOf('target', ['labels', 'values'], 'labels'),
      solvedOnly: oneOf('solved-only', ['true', 'false'], 'true') === 'true',
      pairMargin,
      ...(prmHead === 'generative' ? { form: 'generative' as const, lmOnGood } : {}),
    },
    pairsPerBatch: pairLoss > 0 || (settings.generativePairWeight ?? 0) > 0 ? pairsPerBatch : 0,
  };
  if (flags.size > 0) throw new UsageError(`unknown option(s): ${[...flags.keys()].map((k) => `--${k}`).join(', ')}`);
  if (task === 'prm' && args.data.length === 0) throw new UsageError('prm needs --data steps.jsonl');
  return args;
}

class UsageError extends Error {}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError || err instanceof RangeError) {
      process.stderr.write(`train: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const { spec, settings } = args;
  mkdirSync(args.out, { recursive: true });
  const checkpointPath = resolve(args.out, 'checkpoint.bin');
  let data: BatchSource;
  let dataInfo: Record<string, unknown>;
  if (args.task === 'policy') {
    data = policyBatches({ seed: args.dataSeed, batchSize: args.batch, maxLen: spec.maxPositions - 1 });
    dataInfo = data.describe();
  } else {
    const read = readPrmExamples(args.data, spec.maxPositions, args.prm);
    data = exampleBatches(read.examples, { seed: args.dataSeed, batchSize: args.batch, head: spec.head, pairs: read.pairs, pairsPerBatch: args.pairsPerBatch });
    dataInfo = { ...data.describe(), ...args.prm, files: args.data.map((f) => f.split('/').pop()), records: read.records, skippedTooLong: read.skipped, siblingPairs: read.pairs.length };
    let good = 0;
    let tags = 0;
    for (const e of read.examples) {
      for (const t of e.tags ?? []) {
        tags++;
        if (e.targets[t] >= 0.5) good++;
      }
      for (const sp of e.steps ?? []) {
        tags++;
        if (sp.label >= 0.5) good++;
      }
    }
    process.stderr.write(`prm data: ${read.examples.length} examples from ${read.records} records (${read.skipped} too long); ${tags} labelled steps, ${((100 * good) / Math.max(1, tags)).toFixed(1)} % good; ${read.pairs.length} sibling pairs\n`);
    if (args.pairsPerBatch > 0 && read.pairs.length === 0) {
      process.stderr.write(`train: --pair-loss needs sibling steps with different labels in ${args.data.join(', ')} (none found)\n`);
      process.exitCode = 2;
      return;
    }
  }
  const initial = args.initFrom !== undefined ? pickParams(spec, readWeights(resolve(args.initFrom))) : undefined;
  process.stderr.write(`${args.task}: ${paramCount(spec).toLocaleString('en-US')} parameters, ${settings.steps} steps of ${args.batch} sequences, ${settings.threads} threads${existsSync(checkpointPath) ? ' (resuming from checkpoint.bin)' : ''}\n`);
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    process.stderr.write('\nstopping after this step; run the same command again to resume\n');
  });
  const started = performance.now();
  let window = 0;
  let windowLoss = 0;
  const result = await train({
    spec,
    settings,
    data,
    initial,
    checkpointPath,
    shouldStop: () => stopping,
    onStep: (log) => {
      window += 1;
      windowLoss += log.loss;
      if (log.step % 50 === 0 || log.step === settings.steps) {
        const s = (performance.now() - started) / 1000;
        process.stderr.write(`step ${log.step}/${settings.steps}  loss ${(windowLoss / window).toFixed(4)}  grad-norm ${log.gradNorm.toFixed(2)}  lr ${log.lr.toExponential(2)}  ${log.ms.toFixed(0)} ms/step  ${s.toFixed(0)} s\n`);
        window = 0;
        windowLoss = 0;
      }
    },
  });
  if (stopping) {
    process.stderr.write(`stopped at step ${result.losses.length}; checkpoint kept in ${checkpointPath}\n`);
    process.exitCode = 130;
    return;
  }
  const tail = result.losses.slice(-100);
  const training = {
    command: `npx tsx scripts/train.ts ${process.argv.slice(2).join(' ')}`,
    settings,
    batchSize: args.batch,
    data: dataInfo,
    initFrom: args.initFrom ?? null,
    parameters: paramCount(spec),
    firstLoss: result.losses[0],
    finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    reproducible: `byte-identical for the same arguments and --threads ${settings.threads} on x86-64 CPU`,
  };
  const runAs = settings.generativeWeight !== undefined ? generativePrmRunAs(settings.generativeScale ?? 1, settings.generativeBias ?? 3) : undefined;
  const sha = exportModel(args.out, spec, result.params, training, runAs);
  rmSync(checkpointPath, { force: true });
  process.stderr.write(
    `exported ${args.out} (onnx sha256 ${sha.slice(0, 16)}); loss ${training.firstLoss.toFixed(3)} -> ${training.finalLoss.toFixed(4)}; ${result.msPerStep.toFixed(0)} ms/step, ${Math.round(result.tokensPerSecond).toLocaleString('en-US')} tokens/s\n`,
  );
  if (args.task === 'policy' && args.evalCount > 0) {
    const r = await evaluateGreedy(args.out, { seed: 0, count: args.evalCount });
    const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
    process.stderr.write(`greedy on ${r.problems} held-out problems (seed 0): well-formed ${pct(r.wellFormed, r.problems)}, step arithmetic ${pct(r.arithmeticCorrect, r.steps)} of ${r.steps}, final answer ${pct(r.correct, r.problems)}\n${r.samples.join('\n---\n')}\n`);
  }
}

await main();
