// One training step as an ONNX graph: the decoder's forward pass, its backward pass written out by
// hand (LayerNorm, attention, MLP, embeddings, cross-entropy), global-norm gradient clipping and AdamW.
// onnxruntime runs it as an ordinary inference session; the new parameters and moments it outputs are
// the next step's inputs. `mode: 'grad'` stops after the gradients (for the gradient check).
//
// Inputs: every parameter `p`, its moments `m.p` / `v.p` (train mode), `input_ids` [B, T] int64,
// `targets` (lm head: next-token ids [B, T] int64; classifier head: P(good) [B, T] float),
// `weights` [B, T] float (loss weight per position; 0 = ignored), `lr` (bias-corrected step size) and
// `lr_decay` (lr x weight decay), both scalars.
// Outputs: `loss` (weighted mean cross-entropy), `grad_norm` (before clipping), then `new.p`, `new_m.p`,
// `new_v.p` (train) or `grad.p` (grad).

import { GraphBuilder, type ElemName } from '../onnx/graph.js';
import { paramInfos, validateSpec, type ModelSpec } from './model.js';

export interface StepGraphOptions {
  mode: 'train' | 'grad';
  /** Element type of parameters and activations (`double` for the gradient check). */
  elem?: 'float' | 'double';
  beta1?: number;
  beta2?: number;
  adamEps?: number;
  /** Global gradient-norm clip (0 = off). */
  clipNorm?: number;
  /**
   * Classifier head only: add a pairwise loss over sibling steps, weighted by this factor (0 = off). The
   * graph then takes `pairs` [P, 2] int64 (flat positions b * seq + t of a preferred and a dispreferred
   * step's tag) and `pair_weights` [P] float (0 = padding). With r = logit(good) - logit(bad) at a tag,
   * the pair loss is the weighted mean of -log sigmoid(r_chosen - r_rejected) (Bradley-Terry, as in
   * rStar-Math's process preference model).
   */
  pairLossWeight?: number;
  /**
   * Language-model head only: add a generative step-reward loss with this weight (0 = off), the PRM read
   * from the LM head itself (as implicit/generative PRMs are: Yuan et al. 2024, "Free Process Rewards
   * without Process Labels"). A step's score is sigmoid(scale * l + bias), l the sum of the log-probabilities
   * of its tokens; the loss is the weighted mean binary cross-entropy against a label per step. The graph
   * then takes `step_matrix` [S, batch * seq] (1 where flat position b * seq + t predicts a token of step s:
   * its target is that token), `step_labels` [S] (P(good)) and `step_weights` [S] (0 = padding), and also
   * outputs `step_logp` [S] (l of each step).
   */
  generativeWeight?: number;
  /**
   * Generative head: weight of a pairwise loss over sibling steps (0 = off), -log sigmoid(scale * (l_chosen -
   * l_rejected)) for a right and a wrong step after the same prefix (rStar-Math's process preference
   * model, on the LM's own log-probabilities: tokens the two share cancel, so only what tells them apart is
   * trained). Takes `step_pairs` [P, 2] int64 (rows of step_matrix) and `step_pair_weights` [P] (0 = padding).
   */
  generativePairWeight?: number;
  /** Generative loss: scale and bias of the step score's logit (defaults 1 and 3). */
  generativeScale?: number;
  generativeBias?: number;
}

const LN_EPS = 1e-5;

export function buildStepGraph(spec: ModelSpec, options: StepGraphOptions): Uint8Array {
  validateSpec(spec);
  const elem: ElemName = options.elem ?? 'float';
  const { layers, hidden: E, heads: H, ffn: F, maxPositions: P } = spec;
  const D = E / H;
  const K = spec.head === 'lm' ? spec.vocabSize : 2;
  const g = new GraphBuilder();
  const c = (value: number): string => g.init(g.fresh('k'), [], elem === 'double' ? Float64Array.of(value) : Float32Array.of(value));
  const ints = (values: number[]): string => g.ints(values);
  const mm = (a: string, b: string): string => g.op('MatMul', [a, b]);
  const add = (a: string, b: string): string => g.op('Add', [a, b]);
  const sub = (a: string, b: string): string => g.op('Sub', [a, b]);
  const mul = (a: string, b: string): string => g.op('Mul', [a, b]);
  const tr = (x: string, perm: number[]): string => g.op('Transpose', [x], { perm });
  const reshape = (x: string, dims: number[]): string => g.op('Reshape', [x, ints(dims)]);
  const mean = (x: string): string => g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
  const sumAxes = (x: string, axes: number[], keep = 0): string => g.op('ReduceSum', [x, ints(axes)], { keepdims: keep });
  const sumAll = (x: string): string => g.op('ReduceSum', [x], { keepdims: 0 });
  const flat = (x: string, width: number): string => reshape(x, [-1, width]);
  /** One-hot rows of int64 ids along a new last axis of size n (Equal + Cast: OneHot has no double kernel). */
  const oneHot = (x: string, n: number): string =>
    g.op('Cast', [g.op('Equal', [g.op('Unsqueeze', [x, ints([-1])]), g.init(g.fresh('classes'), [n], BigInt64Array.from({ length: n }, (_, i) => BigInt(i)))])], { to: elem === 'double' ? 11 : 1 });
  /** Gradient of W in y = x W (x [.., n], dy [.., m]) -> [n, m]. */
  const weightGrad = (x: string, n: number, dy: string, m: number): string => mm(tr(flat(x, n), [1, 0]), flat(dy, m));

  const params = paramInfos(spec);
  const p: Record<string, string> = {};
  for (const info of params) p[info.name] = g.input(info.name, elem, info.dims);
  if (options.mode === 'train') {
    for (const info of params) g.input(`m.${info.name}`, elem, info.dims);
    for (const info of params) g.input(`v.${info.name}`, elem, info.dims);
  }
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  const targets = spec.head === 'lm' ? g.input('targets', 'int64', ['batch', 'seq']) : g.input('targets', elem, ['batch', 'seq']);
  const weights = g.input('weights', elem, ['batch', 'seq']);
  const lr = options.mode === 'train' ? g.input('lr', elem, []) : '';
  const lrDecay = options.mode === 'train' ? g.input('lr_decay', elem, []) : '';
  const pairWeight = options.pairLossWeight ?? 0;
  if (pairWeight > 0 && spec.head !== 'classifier') throw new Error('pairLossWeight needs the classifier head');
  const pairs = pairWeight > 0 ? g.input('pairs', 'int64', ['pairs', 2]) : '';
  const pairW = pairWeight > 0 ? g.input('pair_weights', elem, ['pairs']) : '';
  const genWeight = options.generativeWeight ?? 0;
  const genPairWeight = options.generativePairWeight ?? 0;
  const generative = genWeight > 0 || genPairWeight > 0;
  if (generative && spec.head !== 'lm') throw new Error('the generative step losses need the language-model head');
  const stepMatrix = generative ? g.input('step_matrix', elem, ['steps', 'positions']) : '';
  const stepLabels = generative ? g.input('step_labels', elem, ['steps']) : '';
  const stepW = generative ? g.input('step_weights', elem, ['steps']) : '';
  const stepPairs = genPairWeight > 0 ? g.input('step_pairs', 'int64', ['step_pairs', 2]) : '';
  const stepPairW = genPairWeight > 0 ? g.input('step_pair_weights', elem, ['step_pairs']) : '';

  // ---- forward ----
  const T = g.op('Squeeze', [g.op('Shape', [ids], { start: 1, end: 2 })]);
  const zero = g.init(g.fresh('zero'), [], BigInt64Array.of(0n));
  const one = g.init(g.fresh('one'), [], BigInt64Array.of(1n));
  const pos = g.op('Range', [zero, T, one]);
  const h0 = add(g.op('Gather', [p.wte, ids]), g.op('Gather', [p.wpe, pos]));
  const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [pos, ints([0])]), g.op('Unsqueeze', [pos, ints([1])])]);
  const bias = g.op('Where', [causal, c(0), c(-1e4)]);
  const scale = c(1 / Math.sqrt(D));

  interface LnSaved { xhat: string; rstd: string; gain: string }
  const layerNorm = (x: string, gain: string, beta: string): { y: string; saved: LnSaved } => {
    const xc = sub(x, mean(x));
    const rstd = g.op('Reciprocal', [g.op('Sqrt', [add(mean(mul(xc, xc)), c(LN_EPS))])]);
    const xhat = mul(xc, rstd);
    return { y: add(mul(xhat, gain), beta), saved: { xhat, rstd, gain } };
  };
  /** Returns [dx, dgain, dbeta]. */
  const layerNormBack = (dy: string, s: LnSaved): [string, string, string] => {
    const dgain = sumAxes(mul(flat(dy, E), flat(s.xhat, E)), [0]);
    const dbeta = sumAxes(flat(dy, E), [0]);
    const dxhat = mul(dy, s.gain);
    const dx = mul(s.rstd, sub(sub(dxhat, mean(dxhat)), mul(s.xhat, mean(mul(dxhat, s.xhat)))));
    return [dx, dgain, dbeta];
  };
  const splitHeads = (x: string): string => tr(reshape(x, [0, 0, H, D]), [0, 2, 1, 3]);
  const mergeHeads = (x: string): string => reshape(tr(x, [0, 2, 1, 3]), [0, 0, E]);

  interface LayerSaved {
    ln1: LnSaved; a1: string; q: string; k: string; v: string; probs: string; o: string;
    ln2: LnSaved; a2: string; z: string; m: string;
  }
  const saved: LayerSaved[] = [];
  let h = h0;
  for (let l = 0; l < layers; l++) {
    const n1 = layerNorm(h, p[`ln1_g_${l}`], p[`ln1_b_${l}`]);
    const q = splitHeads(mm(n1.y, p[`wq_${l}`]));
    const k = splitHeads(mm(n1.y, p[`wk_${l}`]));
    const v = splitHeads(mm(n1.y, p[`wv_${l}`]));
    const scores = add(mul(mm(q, tr(k, [0, 1, 3, 2])), scale), bias);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    const o = mergeHeads(mm(probs, v));
    const h1 = add(h, mm(o, p[`wo_${l}`]));
    const n2 = layerNorm(h1, p[`ln2_g_${l}`], p[`ln2_b_${l}`]);
    const z = add(mm(n2.y, p[`w1_${l}`]), p[`b1_${l}`]);
    const m = g.op('Relu', [z]);
    h = add(h1, mm(m, p[`w2_${l}`]));
    saved.push({ ln1: n1.saved, a1: n1.y, q, k, v, probs, o, ln2: n2.saved, a2: n2.y, z, m });
  }
  const nf = layerNorm(h, p.lnf_g, p.lnf_b);
  const logits = add(mm(nf.y, p.lm_head), p.lm_bias);

  // ---- loss: weighted cross-entropy; dlogits = (softmax - target) * weight / sum(weight) ----
  const logp = g.op('LogSoftmax', [logits], { axis: -1 });
  const target =
    spec.head === 'lm'
      ? oneHot(targets, K)
      : g.op('Concat', [g.op('Unsqueeze', [sub(c(1), targets), ints([-1])]), g.op('Unsqueeze', [targets, ints([-1])])], { axis: -1 });
  const wNorm = g.op('Div', [weights, g.op('Max', [sumAll(weights), c(1e-12)])]);
  const wCol = g.op('Unsqueeze', [wNorm, ints([-1])]);
  let loss = g.op('Neg', [sumAll(mul(mul(target, logp), wCol))]);
  let dlogits = mul(sub(g.op('Exp', [logp]), target), wCol);
  // softplus(x) = relu(x) + log(1 + exp(-|x|)), stable and with double kernels (Softplus has none).
  const softplus = (x: string) => add(g.op('Relu', [x]), g.op('Log', [add(c(1), g.op('Exp', [g.op('Neg', [g.op('Abs', [x])])]))]));
  /**
   * Bradley-Terry loss over pairs of entries of the flat scores `r` (rows of `pairIdx` [P, 2]: chosen,
   * rejected), weighted by `pairWeights` normalised to sum to `weight`: sum(pw * softplus(r[rejected] -
   * r[chosen])). Returns the loss term and d loss / d r (same length as r).
   */
  const bradleyTerry = (r: string, pairIdx: string, pairWeights: string, weight: number): { loss: string; dr: string } => {
    const col = (j: number) => g.op('Squeeze', [g.op('Slice', [pairIdx, ints([j]), ints([j + 1]), ints([1])]), ints([1])]);
    const chosen = col(0);
    const rejected = col(1);
    const negDelta = sub(g.op('Gather', [r, rejected]), g.op('Gather', [r, chosen]));
    const pw = mul(g.op('Div', [pairWeights, g.op('Max', [sumAll(pairWeights), c(1e-12)])]), c(weight));
    // d loss / d delta = -pw * sigmoid(-delta); scattered to entries by one-hot rows over r.
    const dDelta = g.op('Neg', [mul(pw, g.op('Sigmoid', [negDelta]))]);
    const entries = g.op('Range', [zero, g.op('Size', [r]), one]);
    const rows = (idx: string) => g.op('Cast', [g.op('Equal', [g.op('Unsqueeze', [idx, ints([1])]), g.op('Unsqueeze', [entries, ints([0])])])], { to: elem === 'double' ? 11 : 1 });
    const dr = reshape(mm(g.op('Unsqueeze', [dDelta, ints([0])]), sub(rows(chosen), rows(rejected))), [-1]);
    return { loss: sumAll(mul(pw, softplus(negDelta))), dr };
  };
  if (pairWeight > 0) {
    // r = l1 - l0 per position (flat b * seq + t), pairs of tag positions.
    const l0 = g.op('Squeeze', [g.op('Slice', [logits, ints([0]), ints([1]), ints([-1])]), ints([-1])]);
    const l1 = g.op('Squeeze', [g.op('Slice', [logits, ints([1]), ints([2]), ints([-1])]), ints([-1])]);
    const bt = bradleyTerry(reshape(sub(l1, l0), [-1]), pairs, pairW, pairWeight);
    loss = add(loss, bt.loss);
    const drCol = g.op('Unsqueeze', [bt.dr, ints([-1])]);
    const dPair = g.op('Concat', [g.op('Neg', [drCol]), drCol], { axis: -1 });
    dlogits = add(dlogits, g.op('Reshape', [dPair, g.op('Shape', [logits])]));
  }

  let stepLogp = '';
  if (generative) {
    // tok[b*seq+t] = log p(target); l = M tok; z = a l + b0; loss += sum(w (softplus(z) - y z)) / sum(w) * weight.
    const a = options.generativeScale ?? 1;
    const b0 = options.generativeBias ?? 3;
    const tok = reshape(sumAxes(mul(target, logp), [-1]), [-1, 1]);
    stepLogp = reshape(mm(stepMatrix, tok), [-1]);
    const z = add(mul(c(a), stepLogp), c(b0));
    const sw = mul(g.op('Div', [stepW, g.op('Max', [sumAll(stepW), c(1e-12)])]), c(genWeight));
    loss = add(loss, sumAll(mul(sw, sub(softplus(z), mul(stepLabels, z)))));
    // d loss / d l = a * w * (sigmoid(z) - y).
    let dl = mul(c(a), mul(sw, sub(g.op('Sigmoid', [z]), stepLabels)));
    if (genPairWeight > 0) {
      // Pairs of steps on a * l: d loss / d l = a * d loss / d (a l).
      const bt = bradleyTerry(mul(c(a), stepLogp), stepPairs, stepPairW, genPairWeight);
      loss = add(loss, bt.loss);
      dl = add(dl, mul(c(a), bt.dr));
    }
    // d loss / d tok = M^T (d loss / d l); d tok / d logits = onehot - softmax.
    const dtok = mm(g.op('Unsqueeze', [dl, ints([0])]), stepMatrix);
    const dtokCol = g.op('Unsqueeze', [g.op('Reshape', [dtok, g.op('Shape', [weights])]), ints([-1])]);
    dlogits = add(dlogits, mul(dtokCol, sub(target, g.op('Exp', [logp]))));
  }

  // ---- backward ----
  const grads: Record<string, string> = {};
  grads.lm_head = weightGrad(nf.y, E, dlogits, K);
  grads.lm_bias = sumAxes(flat(dlogits, K), [0]);
  let [dh, dgf, dbf] = layerNormBack(mm(dlogits, tr(p.lm_head, [1, 0])), nf.saved);
  grads.lnf_g = dgf;
  grads.lnf_b = dbf;
  for (let l = layers - 1; l >= 0; l--) {
    const s = saved[l];
    // h_out = h1 + relu(a2 W1 + b1) W2
    grads[`w2_${l}`] = weightGrad(s.m, F, dh, E);
    const dm = mm(dh, tr(p[`w2_${l}`], [1, 0]));
    const dz = g.op('Where', [g.op('Greater', [s.z, c(0)]), dm, c(0)]);
    grads[`w1_${l}`] = weightGrad(s.a2, E, dz, F);
    grads[`b1_${l}`] = sumAxes(flat(dz, F), [0]);
    const [dh1Ln, dg2, db2] = layerNormBack(mm(dz, tr(p[`w1_${l}`], [1, 0])), s.ln2);
    grads[`ln2_g_${l}`] = dg2;
    grads[`ln2_b_${l}`] = db2;
    const dh1 = add(dh, dh1Ln);
    // h1 = h + attn(a1) Wo
    grads[`wo_${l}`] = weightGrad(s.o, E, dh1, E);
    const dO = splitHeads(mm(dh1, tr(p[`wo_${l}`], [1, 0])));
    const dProbs = mm(dO, tr(s.v, [0, 1, 3, 2]));
    const dv = mm(tr(s.probs, [0, 1, 3, 2]), dO);
    const dScores = mul(mul(s.probs, sub(dProbs, g.op('ReduceSum', [mul(dProbs, s.probs), ints([-1])], { keepdims: 1 }))), scale);
    const dq = mergeHeads(mm(dScores, s.k));
    const dk = mergeHeads(mm(tr(dScores, [0, 1, 3, 2]), s.q));
    const dvm = mergeHeads(dv);
    grads[`wq_${l}`] = weightGrad(s.a1, E, dq, E);
    grads[`wk_${l}`] = weightGrad(s.a1, E, dk, E);
    grads[`wv_${l}`] = weightGrad(s.a1, E, dvm, E);
    const da1 = add(add(mm(dq, tr(p[`wq_${l}`], [1, 0])), mm(dk, tr(p[`wk_${l}`], [1, 0]))), mm(dvm, tr(p[`wv_${l}`], [1, 0])));
    const [dhLn, dg1, db1] = layerNormBack(da1, s.ln1);
    grads[`ln1_g_${l}`] = dg1;
    grads[`ln1_b_${l}`] = db1;
    dh = add(dh1, dhLn);
  }
  // h0 = wte[ids] + wpe[0:T]
  const oneHotIds = oneHot(reshape(ids, [-1]), spec.vocabSize);
  grads.wte = mm(tr(oneHotIds, [1, 0]), flat(dh, E));
  const padRows = g.op('Sub', [g.init(g.fresh('P'), [1], BigInt64Array.of(BigInt(P))), g.op('Shape', [ids], { start: 1, end: 2 })]);
  grads.wpe = g.op('Pad', [sumAxes(dh, [0]), g.op('Concat', [ints([0, 0]), padRows, ints([0])], { axis: 0 })]);

  g.output('loss', loss, elem, []);
  if (generative) g.output('step_logp', stepLogp, elem, ['steps']);
  let sq = '';
  for (const info of params) {
    const s2 = sumAll(mul(grads[info.name], grads[info.name]));
    sq = sq === '' ? s2 : add(sq, s2);
  }
  const gradNorm = g.op('Sqrt', [sq]);
  g.output('grad_norm', gradNorm, elem, []);

  if (options.mode === 'grad') {
    for (const info of params) g.output(`grad.${info.name}`, grads[info.name], elem, info.dims);
    return g.toBytes('mcts-gen-grad-step', 'mcts-gen trainer');
  }

  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.99;
  const eps = options.adamEps ?? 1e-8;
  const clip = options.clipNorm ?? 1;
  const clipScale = clip > 0 ? g.op('Div', [c(clip), g.op('Max', [gradNorm, c(clip)])]) : c(1);
  for (const info of params) {
    const grad = mul(grads[info.name], clipScale);
    const m = add(mul(c(b1), `m.${info.name}`), mul(c(1 - b1), grad));
    const v = add(mul(c(b2), `v.${info.name}`), mul(c(1 - b2), mul(grad, grad)));
    let next = sub(p[info.name], mul(lr, g.op('Div', [m, add(g.op('Sqrt', [v]), c(eps))])));
    if (info.decay) next = sub(next, mul(lrDecay, p[info.name]));
    g.output(`new.${info.name}`, next, elem, info.dims);
    g.output(`new_m.${info.name}`, m, elem, info.dims);
    g.output(`new_v.${info.name}`, v, elem, info.dims);
  }
  return g.toBytes('mcts-gen-train-step', 'mcts-gen trainer');
}
