// Benchmark plugin module (config.pluginModules): a policy that proposes the problem's reference
// solution as one final step, so a run measures verification and scheduling, not generation.
import { z } from 'zod';

export const replayPolicy = {
  role: 'policy',
  kind: 'replay',
  options: z.strictObject({}),
  create() {
    return {
      name: 'replay',
      async propose(at, width, ctx) {
        const text = at.problem.reference?.solution ?? '';
        ctx.usage.generatedTokens += text.length;
        ctx.usage.policyCalls += 1;
        return [{ text, logprob: Number.NaN, tokens: text.length, ending: 'final' }];
      },
    };
  },
};
