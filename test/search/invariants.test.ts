import { describe, expect, it } from 'vitest';
import { FLAG, NONE, Rng, parseConfig, runSearch, type SearchResult } from '../../src/index.js';
import { menuPolicy, randomMenu, setVerifier, tableReward, toyProblem } from '../helpers/toy.js';

/** Checks the bookkeeping every finished MCTS tree must satisfy. */
function checkInvariants(r: SearchResult): void {
  const t = r.tree;
  expect(t.visits[0]).toBe(r.stats.simulations);
  for (let n = 0; n < t.size; n++) {
    // No virtual loss left behind.
    expect(t.pending[n]).toBe(0);
    let childVisits = 0;
    let childSum = 0;
    let childMax = Number.NEGATIVE_INFINITY;
    for (const c of t.children(n)) {
      childVisits += t.visits[c];
      childSum += t.valueSum[c];
      if (t.visits[c] > 0) childMax = Math.max(childMax, t.valueMax[c]);
      expect(t.parent[c]).toBe(n);
      expect(t.depth[c]).toBe(t.depth[n] + 1);
    }
    if (t.has(n, FLAG.TERMINAL)) {
      // A terminal is visited once when first reached and again on every revisit, always with its value.
      expect(t.visits[n] === 0 || t.has(n, FLAG.COUNTED)).toBe(true);
      expect(t.valueSum[n]).toBeCloseTo(t.visits[n] * t.evalValue[n], 5);
    } else {
      // visits(n) = its own first visit (if counted) + visits of its children.
      const own = n !== 0 && t.has(n, FLAG.COUNTED) ? 1 : 0;
      expect(t.visits[n]).toBe(own + childVisits);
      const ownValue = own === 1 ? t.evalValue[n] : 0;
      expect(t.valueSum[n]).toBeCloseTo(ownValue + childSum, 5);
    }
    if (childVisits > 0) expect(t.valueMax[n]).toBeGreaterThanOrEqual(childMax);
    if (t.has(n, FLAG.TERMINAL)) {
      expect(t.verdicts.has(n)).toBe(true);
      expect(t.childCount[n]).toBe(0);
    }
    if (t.childCount[n] > 0) {
      let priorSum = 0;
      for (const c of t.children(n)) priorSum += t.prior[c];
      expect(priorSum).toBeCloseTo(1, 5);
    }
  }
}

describe('visit-count invariants over random runs', () => {
  it('hold for random trees, rules, widths, backups and parallelism', async () => {
    for (let seed = 1; seed <= 24; seed++) {
      const rng = Rng.fromSeed(seed).split('case');
      const menu = randomMenu(seed, 5, 4);
      const finals = Object.values(menu).flat().filter(([, , f]) => f === true).map(([text]) => text);
      const good = finals.filter(() => rng.chance(0.3));
      const table = Object.fromEntries(Object.values(menu).flat().map(([text]) => [text, rng.float()]));
      const parallel = 1 + rng.int(4);
      const cfg = parseConfig({
        seed,
        search: {
          width: 1 + rng.int(4),
          selection: rng.chance(0.5) ? 'puct' : 'uct',
          backup: rng.chance(0.5) ? 'mean' : 'max',
          parallelSimulations: parallel,
          widening: { k: [0, 1, 2][rng.int(3)], alpha: 0.3 + 0.4 * rng.float(), width: 1 + rng.int(2), closeAfter: 1 + rng.int(3) },
        },
        budget: { simulations: 5 + rng.int(60) },
      });
      const r = await runSearch(toyProblem, cfg, {
        // Random delays make concurrent simulations interleave differently.
        policy: menuPolicy(menu, { delayMs: parallel > 1 ? (ctx) => ctx.rng.int(3) : undefined }),
        reward: tableReward(table),
        verifier: setVerifier(good),
      });
      checkInvariants(r);
    }
  });

  it('virtual loss spreads concurrent simulations and is fully removed afterwards', async () => {
    const menu = randomMenu(7, 6, 4);
    const policy = menuPolicy(menu, { delayMs: (ctx) => 1 + ctx.rng.int(5) });
    let inFlight = 0;
    let maxInFlight = 0;
    const busy = new Set<string>();
    let overlapping = 0;
    const wrapped = {
      ...policy,
      async propose(...args: Parameters<typeof policy.propose>) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const key = args[0].steps.join('/');
        if (busy.has(key)) overlapping++;
        busy.add(key);
        try {
          return await policy.propose(...args);
        } finally {
          busy.delete(key);
          inFlight--;
        }
      },
    };
    const r = await runSearch(toyProblem, parseConfig({ search: { width: 3, parallelSimulations: 8 }, budget: { simulations: 60 } }), {
      policy: wrapped,
      reward: tableReward({}),
      verifier: setVerifier([]),
    });
    // Several leaves were expanded at once (awaiting the policy in parallel)...
    expect(maxInFlight).toBeGreaterThan(1);
    // ...and no node was asked twice at once (widening re-asks a node only after its last answer).
    expect(overlapping).toBe(0);
    expect(new Set(policy.calls).size).toBeLessThan(policy.calls.length);
    checkInvariants(r);
  });

  it('no virtual loss leaks when the policy fails mid-search', async () => {
    const base = menuPolicy(randomMenu(3, 5, 3), { delayMs: (ctx) => ctx.rng.int(3) });
    let n = 0;
    const failing = {
      ...base,
      async propose(...args: Parameters<typeof base.propose>) {
        if (++n === 6) throw new Error('backend down');
        return base.propose(...args);
      },
    };
    const cfg = parseConfig({ search: { parallelSimulations: 4 }, budget: { simulations: 100 } });
    let tree: SearchResult['tree'] | undefined;
    await expect(
      runSearch(toyProblem, cfg, { policy: failing, reward: null, verifier: setVerifier([]) }).then((r) => (tree = r.tree)),
    ).rejects.toThrow('backend down');
    expect(tree).toBeUndefined();
  });

  it('chooses NONE when nothing was finished', async () => {
    const r = await runSearch(toyProblem, parseConfig({ budget: { simulations: 1 } }), {
      policy: menuPolicy({ '': [['a', 1]], a: [['b', 1]] }),
      reward: null,
      verifier: setVerifier([]),
    });
    expect(r.chosen).toBe(NONE);
  });
});
