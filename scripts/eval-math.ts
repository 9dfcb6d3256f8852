// Evaluates the math verifier against public data in ../shared/data (`npm run eval:math`): GSM8K gold
// round trips, MATH500 boxed answers, Math-Verify and Hendrycks equivalence cases, Qwen2.5-Math and GSM8K
// model outputs with their graders' labels, and the step-claim checker on PRMBench. Prints a table and
// every disagreement. The per-dataset functions are exported for the tests; rows are never special-cased.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_EXTRACTION_PRIORITY } from '../verifiers/math/answer-extract.js';
import { checkStepClaims } from '../verifiers/math/step-claims.js';
import { createMathChecker, type MathChecker } from '../verifiers/math/math-checker.js';
import type { MathOptionsInput } from '../verifiers/math/options.js';

export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');

export function dataPath(file: string): string {
  return join(DATA_DIR, file);
}

export function readJsonl<T>(file: string): T[] {
  return readFileSync(dataPath(file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** One evaluated dataset: agreement count, total, and the rows that disagree (human-readable). */
export interface EvalResult {
  name: string;
  metric: string;
  agree: number;
  total: number;
  target: number | null;
  disagreements: string[];
  notes?: string[];
}

function short(s: string, n = 120): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= n ? t : `${t.slice(0, n / 2)} … ${t.slice(-n / 2)}`;
}

/** Runs `fn` over items with a small concurrency (worker comparisons queue anyway). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

// ---------------------------------------------------------------------------------------------------

interface Gsm8kRow {
  question: string;
  answer: string;
}

/** GSM8K test: the `#### N` answer of each gold solution survives extraction and equals itself. */
export async function evaluateGsm8kGold(rows: Gsm8kRow[], checker: MathChecker): Promise<EvalResult> {
  const disagreements: string[] = [];
  let agree = 0;
  await mapLimit(rows, 8, async (row, i) => {
    const datasetAnswer = /####\s*(.+)\s*$/.exec(row.answer)?.[1].trim() ?? '';
    const r = await checker.check(row.answer, row.answer);
    if (r.equal && r.extracted === datasetAnswer && r.rule === 'gsm8k') agree++;
    else disagreements.push(`#${i}: dataset ${datasetAnswer}, extracted ${r.extracted} (${r.rule}), ${r.reason}`);
  });
  return { name: 'GSM8K test gold round trip', metric: 'rows', agree, total: rows.length, target: rows.length, disagreements };
}

interface Math500Row {
  problem: string;
  solution: string;
  answer: string;
  unique_id: string;
}

/** MATH500: the boxed answer of each reference solution is equivalent to the `answer` field. */
export async function evaluateMath500(rows: Math500Row[], checker: MathChecker): Promise<EvalResult> {
  const disagreements: string[] = [];
  let agree = 0;
  await mapLimit(rows, 8, async (row) => {
    const r = await checker.check(row.answer, row.solution);
    if (r.equal) agree++;
    else disagreements.push(`${row.unique_id}: answer ${JSON.stringify(row.answer)} vs boxed ${JSON.stringify(r.extracted)} -> ${r.reason}${r.detail ? ` (${r.detail})` : ''}`);
  });
  return { name: 'MATH500 boxed vs answer', metric: 'rows', agree, total: rows.length, target: Math.ceil(rows.length * 0.99), disagreements };
}

interface MathVerifyRow {
  test: string;
  case_index: number;
  gold: string;
  pred: string;
  expected_equal: boolean;
  settings: { match_types?: string[]; precision?: number; strict?: boolean; allow_set_relation_comp?: boolean };
}

/**
 * Math-Verify's settings mapped onto our options (never per row, only per setting): `precision` p (float
 * rounding digits) becomes tolerance 10^-p; its LaTeX extractor (the last math segment anywhere) becomes
 * the `last-math` rule after our default rules; its expression extractor becomes `lastNumberFallback`.
 * Rows without settings used Math-Verify's defaults (both extractors).
 */
export function mathVerifyOptions(settings: MathVerifyRow['settings']): MathOptionsInput {
  const p = settings.precision ?? 6;
  const types = settings.match_types ?? ['latex', 'expr'];
  const priority = [...DEFAULT_EXTRACTION_PRIORITY, ...(types.includes('latex') ? (['last-math'] as const) : [])];
  return { tolerance: 10 ** -p, extraction: { priority, lastNumberFallback: types.includes('expr') } };
}

export async function evaluateMathVerify(rows: MathVerifyRow[], makeChecker: (o: MathOptionsInput) => MathChecker): Promise<EvalResult> {
  const checkers = new Map<string, MathChecker>();
  const disagreements: string[] = [];
  let agree = 0;
  await mapLimit(rows, 4, async (row, i) => {
    const opts = mathVerifyOptions(row.settings);
    const key = JSON.stringify(opts);
    let checker = checkers.get(key);
    if (checker === undefined) {
      checker = makeChecker(opts);
      checkers.set(key, checker);
    }
    const r = await checker.check(row.gold, row.pred);
    if (r.equal === row.expected_equal) agree++;
    else disagreements.push(`#${i} ${row.test}[${row.case_index}] expected ${row.expected_equal}, got ${r.equal} (${r.reason}): gold ${JSON.stringify(short(row.gold, 80))} pred ${JSON.stringify(short(row.pred, 80))} extracted ${JSON.stringify(r.extracted)}`);
  });
  for (const c of checkers.values()) await c.close();
  return { name: 'Math-Verify equivalence cases', metric: 'agreement', agree, total: rows.length, target: Math.ceil(rows.length * 0.95), disagreements };
}

interface QwenRow {
  idx: number;
  gt: string;
  answer: string;
  code: string[];
  pred: string[];
  score: boolean[];
}

/** Qwen2.5-Math outputs: our extraction + comparison vs Qwen's grader label, gold = the raw MATH `answer`. */
export async function evaluateQwen(rows: QwenRow[], checker: MathChecker): Promise<EvalResult> {
  const disagreements: string[] = [];
  let agree = 0;
  let total = 0;
  const jobs = rows.flatMap((row) => row.code.map((out, k) => ({ row, out, k })));
  await mapLimit(jobs, 8, async ({ row, out, k }) => {
    const r = await checker.check(row.answer, out);
    total++;
    if (r.equal === row.score[k]) agree++;
    else disagreements.push(`idx ${row.idx} sample ${k}: gold ${JSON.stringify(row.answer)} (gt ${JSON.stringify(row.gt)}), Qwen pred ${JSON.stringify(row.pred[k])} score ${row.score[k]}; ours ${JSON.stringify(r.extracted)} -> ${r.equal} (${r.reason})`);
  });
  return { name: 'Qwen2.5-Math outputs vs Qwen grader', metric: 'samples', agree, total, target: Math.ceil(total * 0.98), disagreements };
}

interface Gsm8kSolutionRow {
  ground_truth: string;
  [model: string]: unknown;
}

export const GSM8K_MODELS = ['6b_finetuning', '6b_verification', '175b_finetuning', '175b_verification'] as const;

/** GSM8K model solutions: extraction from `A: N` lines + comparison vs the dataset's `is_correct`. */
export async function evaluateGsm8kSolutions(rows: Gsm8kSolutionRow[], checker: MathChecker): Promise<EvalResult> {
  const disagreements: string[] = [];
  let agree = 0;
  let total = 0;
  const jobs = rows.flatMap((row, i) => GSM8K_MODELS.map((m) => ({ row, i, m, sample: row[m] as { is_correct: boolean; solution: string } })));
  await mapLimit(jobs, 8, async ({ row, i, m, sample }) => {
    const r = await checker.check(row.ground_truth, sample.solution);
    total++;
    if (r.equal === sample.is_correct) agree++;
    else {
      const gold = /A:\s*(.+)\s*$/.exec(row.ground_truth)?.[1];
      disagreements.push(`row ${i} ${m}: gold ${gold}, extracted ${JSON.stringify(r.extracted)} (${r.rule}) -> ${r.equal} (${r.reason}); is_correct ${sample.is_correct}; tail ${JSON.stringify(short(sample.solution.slice(-80), 80))}`);
    }
  });
  return { name: 'GSM8K model solutions vs is_correct', metric: 'samples', agree, total, target: Math.ceil(total * 0.99), disagreements };
}

interface HendrycksRow {
  test: string;
  a: string;
  b: string;
  expected_equal: boolean;
}

export async function evaluateHendrycks(rows: HendrycksRow[], checker: MathChecker): Promise<EvalResult> {
  const disagreements: string[] = [];
  let agree = 0;
  for (const row of rows) {
    const r = await checker.compare(row.a, row.b);
    if (r.equal === row.expected_equal) agree++;
    else disagreements.push(`${row.test}: ${JSON.stringify(row.a)} vs ${JSON.stringify(row.b)} expected ${row.expected_equal}, got ${r.equal} (${r.reason})`);
  }
  return { name: 'Hendrycks MATH is_equiv cases', metric: 'agreement', agree, total: rows.length, target: null, disagreements };
}

interface PrmBenchRow {
  idx: string;
  classification: string;
  original_process: string[];
  modified_process: string[];
  error_steps: number[];
}

export interface PrmBenchResult {
  errorSteps: number;
  caught: number;
  correctSteps: number;
  falseAlarms: number;
  originalSteps: number;
  originalFlagged: number;
  stepsWithClaims: number;
  byClass: Record<string, { errors: number; caught: number }>;
  examples: string[];
}

/** Step-claim checker on PRMBench: recall on injected error steps, false alarms on correct steps. */
export function evaluatePrmBench(rows: PrmBenchRow[]): PrmBenchResult {
  const res: PrmBenchResult = { errorSteps: 0, caught: 0, correctSteps: 0, falseAlarms: 0, originalSteps: 0, originalFlagged: 0, stepsWithClaims: 0, byClass: {}, examples: [] };
  for (const row of rows) {
    const errors = new Set(row.error_steps.filter((s) => s >= 1 && s <= row.modified_process.length));
    const cls = (res.byClass[row.classification] ??= { errors: 0, caught: 0 });
    row.modified_process.forEach((step, j) => {
      const r = checkStepClaims(step);
      if (r.verdict !== 'abstain') res.stepsWithClaims++;
      const flagged = r.verdict === 'fail';
      if (errors.has(j + 1)) {
        res.errorSteps++;
        cls.errors++;
        if (flagged) {
          res.caught++;
          cls.caught++;
        }
      } else {
        res.correctSteps++;
        if (flagged) {
          res.falseAlarms++;
          if (res.examples.length < 12) res.examples.push(`false alarm ${row.idx} step ${j + 1}: ${r.claims.filter((c) => !c.holds).map((c) => c.text).join('; ')} in ${JSON.stringify(short(step, 100))}`);
        }
      }
    });
    for (const step of row.original_process) {
      res.originalSteps++;
      if (checkStepClaims(step).verdict === 'fail') res.originalFlagged++;
    }
  }
  return res;
}

/** Step claims on GSM8K reference solutions (one step per line): how many correct steps get flagged. */
export function evaluateGsm8kSteps(rows: Gsm8kRow[]): { steps: number; withClaims: number; flagged: number; examples: string[] } {
  const out = { steps: 0, withClaims: 0, flagged: 0, examples: [] as string[] };
  for (const row of rows) {
    for (const line of row.answer.split('\n')) {
      if (line.startsWith('####') || line.trim() === '') continue;
      out.steps++;
      const r = checkStepClaims(line);
      if (r.verdict !== 'abstain') out.withClaims++;
      if (r.verdict === 'fail') {
        out.flagged++;
        out.examples.push(`${r.claims.filter((c) => !c.holds).map((c) => c.text).join('; ')} in ${JSON.stringify(short(line, 110))}`);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

function pct(a: number, b: number): string {
  return b === 0 ? '-' : `${((100 * a) / b).toFixed(2)} %`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const checker = createMathChecker({});
  const results: EvalResult[] = [];
  const skipped: string[] = [];
  const have = (file: string) => {
    const ok = existsSync(dataPath(file));
    if (!ok) skipped.push(`${file}: absent from ${DATA_DIR}, row skipped`);
    return ok;
  };

  if (have('gsm8k_test.jsonl')) results.push(await evaluateGsm8kGold(readJsonl('gsm8k_test.jsonl'), checker));
  if (have('math500_test.jsonl')) results.push(await evaluateMath500(readJsonl('math500_test.jsonl'), checker));
  if (have('math_verify_equivalence_cases.jsonl')) results.push(await evaluateMathVerify(readJsonl('math_verify_equivalence_cases.jsonl'), (o) => createMathChecker(o)));
  if (have('qwen25math_math_cot_100_samples.jsonl')) results.push(await evaluateQwen(readJsonl('qwen25math_math_cot_100_samples.jsonl'), checker));
  if (have('gsm8k_example_model_solutions.jsonl')) results.push(await evaluateGsm8kSolutions(readJsonl('gsm8k_example_model_solutions.jsonl'), checker));
  if (have('hendrycks_math_equivalence_cases.jsonl')) results.push(await evaluateHendrycks(readJsonl('hendrycks_math_equivalence_cases.jsonl'), checker));
  let prm: PrmBenchResult | null = null;
  if (have('prmbench_subset400.jsonl')) prm = evaluatePrmBench(readJsonl('prmbench_subset400.jsonl'));
  const gsmSteps = existsSync(dataPath('gsm8k_test.jsonl')) ? evaluateGsm8kSteps(readJsonl('gsm8k_test.jsonl')) : null;
  await checker.close();

  const lines: string[] = [];
  lines.push('| dataset | measured | rate | target | status |');
  lines.push('|---|---|---|---|---|');
  for (const r of results) {
    const status = r.target === null ? 'reported' : r.agree >= r.target ? 'met' : 'NOT MET';
    const target = r.target === null ? '-' : `>= ${r.target}/${r.total}`;
    lines.push(`| ${r.name} | ${r.agree}/${r.total} ${r.metric} | ${pct(r.agree, r.total)} | ${target} | ${status} |`);
  }
  if (prm !== null) {
    lines.push(`| PRMBench step claims: recall on error steps | ${prm.caught}/${prm.errorSteps} | ${pct(prm.caught, prm.errorSteps)} | - | reported |`);
    lines.push(`| PRMBench step claims: false alarms on correct steps | ${prm.falseAlarms}/${prm.correctSteps} | ${pct(prm.falseAlarms, prm.correctSteps)} | - | reported |`);
    lines.push(`| PRMBench original (all-correct) steps flagged | ${prm.originalFlagged}/${prm.originalSteps} | ${pct(prm.originalFlagged, prm.originalSteps)} | - | reported |`);
  }
  if (gsmSteps !== null) {
    lines.push(`| GSM8K test reference steps flagged by step claims | ${gsmSteps.flagged}/${gsmSteps.steps} (${gsmSteps.withClaims} with claims) | ${pct(gsmSteps.flagged, gsmSteps.steps)} | - | reported |`);
  }
  console.log(lines.join('\n'));
  for (const s of skipped) console.log(`skipped: ${s}`);
  for (const r of results) {
    if (r.disagreements.length === 0) continue;
    console.log(`\n## ${r.name}: ${r.disagreements.length} disagreement(s)`);
    for (const d of r.disagreements.sort()) console.log(`- ${d}`);
  }
  if (prm !== null) {
    console.log(`\n## PRMBench details`);
    console.log(`steps with at least one arithmetic claim: ${prm.stepsWithClaims}`);
    for (const [cls, v] of Object.entries(prm.byClass)) console.log(`- ${cls}: caught ${v.caught}/${v.errors}`);
    for (const e of prm.examples) console.log(`- ${e}`);
  }
  if (gsmSteps !== null && gsmSteps.examples.length > 0) {
    console.log(`\n## GSM8K test reference steps flagged`);
    for (const e of gsmSteps.examples) console.log(`- ${e}`);
  }
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
