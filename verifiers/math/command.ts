// `mcts-gen verify math`: JSONL lines {gold, pred} in, one JSON verdict line per input line out, a summary
// on stderr. Streams the input (readline); never exits the process (returns the exit code).

import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isMcgError } from '../../src/core/index.js';
import { EXTRACTION_RULES } from './answer-extract.js';
import { createMathChecker, type MathChecker } from './math-checker.js';
import { parseMathOptions, type MathOptionsInput } from './options.js';
import { verdictOf } from './verdict-map.js';

/** Option keys as the command spells them, for error messages. */
const FLAG_OF: Record<string, string> = {
  tolerance: '--tolerance',
  percent: '--percent',
  unreducedFractions: '--unreduced-fractions',
  timeoutMs: '--timeout-ms',
  maxInputChars: '--max-input-chars',
  'extraction.priority': '--priority',
};

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

const USAGE = `usage: mcts-gen verify math --input <file|-> [options]

Reads JSONL lines {gold, pred} (pred: a bare answer such as 0.5, \\frac{1}{2} or x=2, compared as it is, or a
whole model output, whose final answer is extracted; other fields are ignored) and writes one
line per non-blank input line: {"index", "equal", "kind", "reason", "extracted", "rule"}. "index" counts
non-blank input lines from 0. A line that is not valid JSON gives kind "error", reason "parse_error" and a
"file:line" message on stderr; processing goes on. A summary (counts per reason) goes to stderr.

options:
  -i, --input <file>            input JSONL ("-" reads stdin)
  -o, --output <file>           output JSONL (default stdout)
      --gold-field <name>       field with the gold answer (default "gold")
      --pred-field <name>       field with the prediction (default "pred")
      --tolerance <x>           relative tolerance of the numeric rungs (default 1e-6)
      --percent <policy>        either | strip | fraction (default either)
      --unreduced-fractions <p> accept | reject (default accept)
      --strict-units            units must match (default: dropped)
      --priority <rules>        extraction rules in order, comma-separated (${EXTRACTION_RULES.join(', ')})
      --last-number             fall back to the whole text / last number when no rule matches
      --timeout-ms <n>          hard limit per comparison (default 2000)
      --max-input-chars <n>     longest prediction accepted (default 200000)
  -h, --help                    this text

exit code: 0 all lines read, 1 some lines were not valid JSON, 2 usage or I/O error.
`;

/** Runs `verify math` with `args` (after "verify math"). Returns the exit code; never calls process.exit. */
export async function verifyMathCommand(args: string[], io: CommandIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        input: { type: 'string', short: 'i' },
        output: { type: 'string', short: 'o' },
        'gold-field': { type: 'string', default: 'gold' },
        'pred-field': { type: 'string', default: 'pred' },
        tolerance: { type: 'string' },
        percent: { type: 'string' },
        'unreduced-fractions': { type: 'string' },
        'strict-units': { type: 'boolean' },
        priority: { type: 'string' },
        'last-number': { type: 'boolean' },
        'timeout-ms': { type: 'string' },
        'max-input-chars': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr.write(`verify math: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  const input = values.input as string | undefined;
  if (input === undefined) {
    io.stderr.write(`verify math: --input is required\n\n${USAGE}`);
    return 2;
  }

  const options: MathOptionsInput = {};
  const num = (name: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : (v as unknown as number); // let the schema report the bad value
  };
  if (values.tolerance !== undefined) options.tolerance = num('tolerance');
  if (values.percent !== undefined) options.percent = values.percent as MathOptionsInput['percent'];
  if (values['unreduced-fractions'] !== undefined) options.unreducedFractions = values['unreduced-fractions'] as MathOptionsInput['unreducedFractions'];
  if (values['strict-units'] === true) options.strictUnits = true;
  if (values['timeout-ms'] !== undefined) options.timeoutMs = num('timeout-ms');
  if (values['max-input-chars'] !== undefined) options.maxInputChars = num('max-input-chars');
  if (values.priority !== undefined || values['last-number'] === true) {
    options.extraction = {};
    if (values.priority !== undefined) options.extraction.priority = (values.priority as string).split(',').map((s) => s.trim()) as never;
    if (values['last-number'] === true) options.extraction.lastNumberFallback = true;
  }

  let checker: MathChecker;
  try {
    checker = createMathChecker(parseMathOptions(options, '@'));
  } catch (err) {
    if (isMcgError(err, 'CONFIG_INVALID')) {
      const message = err.message.replace(/@\.([\w.]+?)(\[\d+\]|\.\d+)?(?= )/g, (_m, key: string, idx: string | undefined) => `${FLAG_OF[key] ?? key}${idx ?? ''}`);
      io.stderr.write(`verify math: ${message}\n`);
      return 2;
    }
    throw err;
  }

  const goldField = values['gold-field'] as string;
  const predField = values['pred-field'] as string;
  const label = input === '-' ? 'stdin' : input;
  let source: NodeJS.ReadableStream;
  if (input === '-') source = io.stdin;
  else {
    const path = resolve(io.cwd, input);
    if (!existsSync(path)) {
      io.stderr.write(`verify math: ${input}: no such file\n`);
      await checker.close();
      return 2;
    }
    source = createReadStream(path, { encoding: 'utf8' });
  }
  let out: NodeJS.WritableStream = io.stdout;
  let outFile: ReturnType<typeof createWriteStream> | null = null;
  if (values.output !== undefined) {
    outFile = createWriteStream(resolve(io.cwd, values.output as string), { encoding: 'utf8' });
    out = outFile;
  }

  const write = async (obj: unknown) => {
    if (!out.write(`${JSON.stringify(obj)}\n`)) await once(out, 'drain');
  };
  const counts = new Map<string, number>();
  const kinds = { pass: 0, fail: 0, abstain: 0, error: 0 };
  let index = 0;
  let lineNo = 0;
  let badLines = 0;
  let status = 0;
  try {
    const rl = createInterface({ input: source, crlfDelay: Infinity });
    for await (const line of rl) {
      lineNo++;
      if (line.trim() === '') continue;
      const i = index++;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (err) {
        badLines++;
        io.stderr.write(`${label}:${lineNo}: invalid JSON: ${(err as Error).message}\n`);
        kinds.error++;
        counts.set('parse_error', (counts.get('parse_error') ?? 0) + 1);
        await write({ index: i, equal: false, kind: 'error', reason: 'parse_error', extracted: null, rule: null });
        continue;
      }
      const rec = typeof row === 'object' && row !== null && !Array.isArray(row) ? (row as Record<string, unknown>) : {};
      const gold = asText(rec[goldField]);
      const pred = asText(rec[predField]);
      let result: { index: number; equal: boolean; kind: string; reason: string; extracted: string | null; rule: string | null };
      if (gold === null) {
        io.stderr.write(`${label}:${lineNo}: no "${goldField}" field\n`);
        result = { index: i, equal: false, kind: 'abstain', reason: 'no_reference', extracted: null, rule: null };
      } else if (pred === null) {
        io.stderr.write(`${label}:${lineNo}: no "${predField}" field\n`);
        result = { index: i, equal: false, kind: 'fail', reason: 'no_answer', extracted: null, rule: null };
      } else {
        const r = await checker.check(gold, pred, undefined, { bare: true });
        const v = verdictOf(r);
        result = { index: i, equal: r.equal, kind: v.kind, reason: r.reason, extracted: r.extracted, rule: r.rule };
      }
      kinds[result.kind as keyof typeof kinds]++;
      counts.set(result.reason, (counts.get(result.reason) ?? 0) + 1);
      await write(result);
    }
  } catch (err) {
    io.stderr.write(`verify math: ${label}: ${(err as Error).message}\n`);
    status = 2;
  } finally {
    await checker.close();
    if (outFile !== null) {
      outFile.end();
      await once(outFile, 'finish').catch(() => undefined);
    }
  }
  const reasons = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
  io.stderr.write(`verify math: ${index} line(s): pass ${kinds.pass}, fail ${kinds.fail}, error ${kinds.error}, abstain ${kinds.abstain}${reasons === '' ? '' : `; reasons: ${reasons}`}\n`);
  if (status !== 0) return status;
  return badLines > 0 ? 1 : 0;
}

/** A gold/pred value as text: strings as they are, numbers printed; anything else is missing. */
function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}
