// bench:core — MCTS throughput with a zero-latency policy at 1k, 10k and 100k nodes: simulations/s
// and memory per node (typed arrays, and measured heap with step text excluded). Prints a table.
// Run: npm run bench:core
import { ROOT, TreeStore, parseConfig, runSearch, type CallContext, type Policy, type RewardModel, type StepCandidate, type Trajectory, type Verifier } from '../src/index.js';

const WIDTH = 4;
// Candidate objects are built once: the policy costs nothing but the call itself.
const MENU: StepCandidate[] = Array.from({ length: WIDTH }, (_, i) => ({ text: `step ${i}`, logprob: -1 - i * 0.5, tokens: 3, ending: 'step' as const }));

const policy: Policy = {
  name: 'zero-latency',
  async propose(_at: Trajectory, width: number, ctx: CallContext) {
    ctx.usage.generatedTokens += 3 * width;
    ctx.usage.policyCalls++;
    return MENU.slice(0, width);
  },
};

/** A zero-latency reward: a fixed pseudo-random score per batch position and depth. */
const reward: RewardModel = {
  name: 'zero-latency',
  granularity: 'step',
  async score(batch) {
    const out = new Float64Array(batch.length);
    for (let i = 0; i < batch.length; i++) out[i] = ((batch[i].steps.length * 7919 + i * 104729) % 1000) / 1000;
    return out;
  },
};

const verifier: Verifier = { name: 'never', async check() { return { kind: 'fail', reason: 'mismatch' }; } };
const problem = { id: 'bench', prompt: 'bench', domain: 'math' };

async function measure(nodes: number, withReward: boolean): Promise<{ sims: number; ms: number; size: number }> {
  const config = parseConfig({ search: { width: WIDTH }, budget: { simulations: 10_000_000, nodes, depth: 1024 } });
  const t0 = performance.now();
  const r = await runSearch(problem, config, { policy, reward: withReward ? reward : null, verifier });
  const ms = performance.now() - t0;
  if (r.tree.visits[ROOT] !== r.stats.simulations) throw new Error('visit count mismatch');
  return { sims: r.stats.simulations, ms, size: r.tree.size };
}

/** Measured memory per node: heap + array buffers of 8 trees of `nodes` nodes, step text shared. */
function heapBytesPerNode(nodes: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return Number.NaN;
  const priors = new Float64Array(WIDTH).fill(1 / WIDTH);
  const mem = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = mem();
  const trees: TreeStore[] = [];
  for (let t = 0; t < 8; t++) {
    // Grow a tree the way expansion does (children appended in blocks of WIDTH), sharing one text string per rank.
    const tree = new TreeStore(256);
    let parent = 0;
    while (tree.size + WIDTH <= nodes) tree.addChildren(parent++, MENU, priors);
    trees.push(tree);
  }
  const after = mem();
  return (after - before) / trees.reduce((n, t) => n + t.size, 0);
}

const rows: string[][] = [];
for (const nodes of [1_000, 10_000, 100_000]) {
  for (const withReward of [false, true]) {
    await measure(nodes, withReward); // warm-up
    // Small trees finish in milliseconds: take the best of more runs there.
    const runs = [];
    for (let i = 0; i < (nodes >= 100_000 ? 3 : 15); i++) runs.push(await measure(nodes, withReward));
    const best = runs.reduce((a, b) => (a.sims / a.ms > b.sims / b.ms ? a : b));
    rows.push([
      String(best.size),
      withReward ? 'policy + reward' : 'policy only',
      String(best.sims),
      best.ms.toFixed(1),
      Math.round((best.sims / best.ms) * 1000).toLocaleString('en-US'),
      withReward ? '' : heapBytesPerNode(nodes).toFixed(0),
    ]);
  }
}
const header = ['nodes', 'plugins', 'simulations', 'ms', 'simulations/s', 'heap B/node'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(`MCTS, width ${WIDTH}, zero-latency scripted policy (best of 15 runs, 3 at 100k); typed arrays: ${TreeStore.bytesPerNode()} B/node (+ capacity slack up to 2x)`);
console.log(line(header));
for (const r of rows) console.log(line(r));
if (!Number.isFinite(heapBytesPerNode(1000))) console.log('(heap B/node needs --expose-gc: npm run bench:core passes it)');
