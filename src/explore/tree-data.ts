// Search trees as the explorer reads them: a saved `trees/<id>.json` (or a run directory holding
// several), checked node by node so a viewer or an export never meets a dangling child id, plus the
// two paths every view highlights: the committed answer's path and the verified leaves.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { McgError } from '../core/errors.js';
import type { NodeJSON } from '../core/tree.js';
import { SCHEMA } from '../data/records.js';
import type { LedgerEntry } from '../data/summary.js';
import { LEDGER_FILE, readLedger, treeFileName } from '../data/writer.js';
import type { SearchResult } from '../search/index.js';

/** One search tree ready to show: nodes indexed by id (node i has id i), root 0. */
export interface ViewTree {
  problemId: string;
  prompt: string;
  /** Gold answer of the problem, when the tree file carries it. */
  answer?: string;
  /** Node the search committed to (its answer is the problem's answer), -1 when none. */
  chosen: number;
  nodes: NodeJSON[];
}

/** How a problem of a run ended, for the problem list of a run view. */
export type ProblemOutcomeLabel = 'correct' | 'solved' | 'unsolved' | 'error';

export interface ViewProblem {
  problemId: string;
  /** correct: the committed answer passed; solved: a verified solution exists but was not committed; error: not searched. */
  outcome: ProblemOutcomeLabel;
  nodes?: number;
  generatedTokens?: number;
  /** Error message for problems in errors.jsonl. */
  error?: string;
  /** The tree, when the run saved it (--save-trees). */
  tree?: ViewTree;
}

/** What the HTML viewer shows: one tree, or the problems of a run with their trees. */
export interface ViewDocument {
  title: string;
  /** The file or directory it was read from (shown, never fetched). */
  source: string;
  problems: ViewProblem[];
  /** Problem opened first (defaults to the first one with a tree). */
  initial?: string;
}

const verdictSchema = z.looseObject({ kind: z.enum(['pass', 'fail', 'abstain', 'error']), reason: z.string() });
const stepVerdictSchema = z.looseObject({ step: z.number(), kind: z.enum(['pass', 'fail', 'abstain']), reason: z.string() });
const num = z.number().nullable();
const nodeSchema = z.looseObject({
  id: z.number().int().nonnegative(),
  parent: z.number().int(),
  depth: z.number().int().nonnegative(),
  text: z.string(),
  ending: z.enum(['root', 'step', 'final', 'length']),
  prior: z.number(),
  logprob: num,
  tokens: z.number().nonnegative(),
  visits: z.number().nonnegative(),
  value: num,
  evalValue: num,
  reward: num,
  outcome: num,
  terminal: z.boolean(),
  children: z.array(z.number().int().nonnegative()),
  verdict: verdictSchema.optional(),
  stepVerdict: stepVerdictSchema.optional(),
  closed: z.boolean().optional(),
});
const treeFileSchema = z.looseObject({
  schema: z.literal(SCHEMA.tree),
  problemId: z.string(),
  prompt: z.string(),
  answer: z.string().optional(),
  chosen: z.number().int(),
  nodes: z.array(z.unknown()).min(1),
});

function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
}

/**
 * Checks a parsed tree record (the contents of `trees/<id>.json`) and returns it as a `ViewTree`.
 * Node ids must equal their index, parents and children must agree, and every id must be in range;
 * the error names `source` and the offending key.
 */
export function parseTreeRecord(raw: unknown, source: string): ViewTree {
  const top = treeFileSchema.safeParse(raw);
  if (!top.success) {
    const i = top.error.issues[0];
    throw new McgError('INPUT_INVALID', `${source}: not a search tree (${SCHEMA.tree}): ${issuePath(i.path)}: ${i.message}`);
  }
  const rec = top.data;
  const nodes: NodeJSON[] = [];
  for (let i = 0; i < rec.nodes.length; i++) {
    const r = nodeSchema.safeParse(rec.nodes[i]);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new McgError('INPUT_INVALID', `${source}: nodes[${i}].${issuePath(issue.path)}: ${issue.message}`);
    }
    if (r.data.id !== i) throw new McgError('INPUT_INVALID', `${source}: nodes[${i}].id is ${r.data.id}; node ids must equal their position`);
    nodes.push(r.data as unknown as NodeJSON);
  }
  const n = nodes.length;
  if (nodes[0].parent !== -1) throw new McgError('INPUT_INVALID', `${source}: nodes[0] must be the root (parent -1)`);
  for (const node of nodes) {
    if (node.id !== 0 && (node.parent < 0 || node.parent >= node.id)) {
      throw new McgError('INPUT_INVALID', `${source}: nodes[${node.id}].parent ${node.parent} must be an earlier node`);
    }
    for (const c of node.children) {
      if (c >= n || nodes[c].parent !== node.id) throw new McgError('INPUT_INVALID', `${source}: nodes[${node.id}].children lists ${c}, which is not its child`);
    }
  }
  if (rec.chosen < -1 || rec.chosen >= n) throw new McgError('INPUT_INVALID', `${source}: chosen ${rec.chosen} is not a node id`);
  const tree: ViewTree = { problemId: rec.problemId, prompt: rec.prompt, chosen: rec.chosen, nodes };
  if (rec.answer !== undefined) tree.answer = rec.answer;
  return tree;
}

/** Reads and checks one `trees/<id>.json` file. */
export function readTreeFile(file: string): ViewTree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new McgError('IO_FAILED', `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new McgError('INPUT_INVALID', `${file}: invalid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseTreeRecord(raw, file);
}

/** Node ids from the root to the committed node (empty when nothing was committed). */
export function committedPath(tree: Pick<ViewTree, 'chosen' | 'nodes'>): number[] {
  const path: number[] = [];
  for (let id = tree.chosen; id >= 0; id = tree.nodes[id].parent) path.push(id);
  return path.reverse();
}

/** Terminal nodes whose verifier verdict passed (a false step makes the verdict a fail). */
export function verifiedLeaves(tree: Pick<ViewTree, 'nodes'>): number[] {
  return tree.nodes.filter((n) => n.terminal && n.verdict?.kind === 'pass').map((n) => n.id);
}

function outcomeOf(e: LedgerEntry): ProblemOutcomeLabel {
  if (!e.ok) return 'error';
  if (e.stats?.success === true) return 'correct';
  return e.stats?.solved === true ? 'solved' : 'unsolved';
}

/**
 * Reads a run directory for the viewer: every committed problem (from the ledger) with its outcome,
 * and its saved tree when `trees/` has one. `problem` keeps only that problem (an error when absent).
 */
export function readRunForView(dir: string, options: { problem?: string } = {}): ViewDocument {
  const ledgerPath = join(dir, LEDGER_FILE);
  if (!existsSync(ledgerPath)) throw new McgError('INPUT_INVALID', `${dir}: not a run directory (no ${LEDGER_FILE})`);
  const { entries } = readLedger(ledgerPath);
  let chosen = entries;
  if (options.problem !== undefined) {
    chosen = entries.filter((e) => e.problemId === options.problem);
    if (chosen.length === 0) throw new McgError('INPUT_INVALID', `${dir}: no problem "${options.problem}" in ${LEDGER_FILE} (${entries.length} problems committed)`);
  }
  const problems: ViewProblem[] = chosen.map((e) => {
    const p: ViewProblem = { problemId: e.problemId, outcome: outcomeOf(e) };
    if (e.stats !== undefined) {
      p.nodes = e.stats.nodes;
      p.generatedTokens = e.stats.usage.generatedTokens;
    }
    if (!e.ok) p.error = e.error?.message ?? 'not searched';
    const treePath = join(dir, 'trees', treeFileName(e.problemId));
    if (e.records.trees > 0 && existsSync(treePath)) p.tree = readTreeFile(treePath);
    return p;
  });
  return { title: options.problem ?? dir, source: dir, problems, initial: problems.find((p) => p.tree !== undefined)?.problemId };
}

/** A tree file or a run directory, as `mcts-gen view` takes it. */
export function readForView(path: string, options: { problem?: string } = {}): ViewDocument {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new McgError('IO_FAILED', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  if (isDir) return readRunForView(path, options);
  const tree = readTreeFile(path);
  if (options.problem !== undefined && options.problem !== tree.problemId) {
    throw new McgError('INPUT_INVALID', `${path} holds the tree of "${tree.problemId}", not "${options.problem}"`);
  }
  return documentForTree(tree, path);
}

/** A viewer document showing one tree (`source` is only displayed). */
export function documentForTree(tree: ViewTree, source = tree.problemId): ViewDocument {
  return { title: tree.problemId, source, problems: [{ problemId: tree.problemId, outcome: outcomeOfTree(tree), nodes: tree.nodes.length, tree }], initial: tree.problemId };
}

/** The tree of a finished `search()` as the explorer shows it (notebooks: search, then view). */
export function viewTreeFromSearch(result: Pick<SearchResult, 'problem' | 'tree' | 'chosen'>): ViewTree {
  const tree: ViewTree = { problemId: result.problem.id, prompt: result.problem.prompt, chosen: result.chosen, nodes: result.tree.toJSON() };
  if (result.problem.reference?.answer !== undefined) tree.answer = result.problem.reference.answer;
  return tree;
}

function outcomeOfTree(tree: ViewTree): ProblemOutcomeLabel {
  if (tree.chosen >= 0 && tree.nodes[tree.chosen].verdict?.kind === 'pass') return 'correct';
  return verifiedLeaves(tree).length > 0 ? 'solved' : 'unsolved';
}
