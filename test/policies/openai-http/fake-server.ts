// A deterministic loopback server speaking the OpenAI completions and chat API and vLLM's /pooling,
// /classify, /score and /tokenize, for the HTTP plugin tests and bench/http.ts. It solves problems
// registered with it (the built-in arithmetic task: it reads the steps so far from the prompt it
// receives and writes the next "a op b = r" step, or "The answer is N"), injects faults on demand or
// at a seeded rate, and records every request (arrival time, headers, body, closed by the client).
// Listens on 127.0.0.1 only. Imports the public API and the scripted plugins' step oracle.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  Rng,
  applyOp,
  claimedResults,
  finalText,
  formatNumber,
  stepText,
  workedSolutionOf,
  type Problem,
  type WorkedSolution,
} from '../../../src/index.js';
import { isOnCorrectPath } from '../../../policies/scripted/index.js';

/** A fault the server can play instead of (or on top of) a normal answer. */
export type Fault =
  /** Answer with this status (and optional Retry-After header / body). `echoAuth` puts the Authorization header in the body. */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; echoAuth?: boolean }
  /** Never answer; the request stays open until the client gives up (or the server closes). */
  | { kind: 'hang' }
  /** Headers promise more bytes than are sent, then the connection is destroyed mid-body. */
  | { kind: 'truncated' }
  /** A complete HTTP 200 whose JSON body is cut in half. */
  | { kind: 'bad-json' }
  /** A 200 with an HTML page. */
  | { kind: 'non-json' }
  /** A 200 with JSON of the wrong shape. */
  | { kind: 'wrong-shape' }
  /** One choice fewer than `n` (or one more when n = 1). */
  | { kind: 'wrong-n' }
  /** A normal answer without `usage`. */
  | { kind: 'no-usage' }
  /** A normal answer after this extra delay. */
  | { kind: 'slow'; ms: number }
  /** The socket is destroyed before any response. */
  | { kind: 'reset' };

export type FaultKind = Fault['kind'];

export interface FakeServerOptions {
  /** Seed of the server's choices (mistakes, random faults). Default 0. */
  seed?: number;
  /** Delay before every answer, ms. Default 0. */
  latencyMs?: number;
  /** Probability that a sampled step writes a wrong result (temperature 0 never does). Default 0. */
  wrongStepRate?: number;
  /** Probability that a request gets a random fault from `faultKinds` (seeded). Default 0. */
  faultRate?: number;
  faultKinds?: Fault[];
  /** How the matched stop is reported: vLLM `stop_reason`, SGLang `matched_stop`, or not at all (OpenAI). */
  stopStyle?: 'vllm' | 'sglang' | 'none';
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; others get a 401 echoing what they sent. */
  apiKey?: string;
  /** /pooling output: one row per `<extra_0>` (STEP pooling) or one row per token (ALL pooling). */
  pooling?: 'step' | 'token';
  /** The step delimiter the server writes and splits on. Default "\n\n". */
  delimiter?: string;
}

/** One request as the server saw it. */
export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body text. */
  raw: string;
  /** Parsed JSON body, or undefined. */
  body: any;
  /** performance.now() at arrival (after the body was read). */
  arrivedAt: number;
  /** The fault played, if any. */
  fault?: FaultKind;
  /** True when the client closed the connection before the server answered. */
  closedByClient: boolean;
  /** True once the server wrote a complete response. */
  answered: boolean;
}

/** Token id of the PRM step separator (Qwen2.5-Math-PRM's `<extra_0>`). */
export const SEPARATOR_TOKEN_ID = 151651;
export const SEPARATOR = '<extra_0>';

/** Toy tokenizer shared by usage counts, logprobs and /tokenize: the separator, words, single non-space chars. */
export function fakeTokens(text: string): string[] {
  return text.match(/<extra_0>|[A-Za-z]+|\d|[^\sA-Za-z\d]|\s+/g) ?? [];
}

function tokenId(token: string): number {
  if (token === SEPARATOR) return SEPARATOR_TOKEN_ID;
  let h = 17;
  for (let i = 0; i < token.length; i++) h = (h * 31 + token.charCodeAt(i)) % 100_000;
  return h;
}

interface Choice {
  text: string;
  finish: 'stop' | 'length';
  /** The stop string matched, or null for EOS. */
  matched: string | null;
  logprobs: number[];
  tokens: string[];
}

export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  /** Highest number of requests being handled at once. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly problems = new Map<string, WorkedSolution | null>();
  private readonly queued: Fault[] = [];
  private readonly options: Required<Omit<FakeServerOptions, 'apiKey'>> & { apiKey?: string };
  private readonly rng: Rng;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closedWaiters: (() => void)[] = [];

  private constructor(
    private readonly server: http.Server,
    options: FakeServerOptions,
  ) {
    this.options = {
      seed: 0,
      latencyMs: 0,
      wrongStepRate: 0,
      faultRate: 0,
      faultKinds: [],
      stopStyle: 'vllm',
      pooling: 'step',
      delimiter: '\n\n',
      ...options,
    };
    this.rng = Rng.fromSeed(this.options.seed).split('fake-server');
  }

  /** Starts a server on 127.0.0.1 and an ephemeral port. */
  static async start(options: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
    const server = http.createServer({ keepAlive: true, keepAliveTimeout: 5000 });
    const fake = new FakeOpenAIServer(server, options);
    server.on('request', (req, res) => fake.handle(req, res));
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** `http://127.0.0.1:<port>` (pooling endpoints live here). */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** `http://127.0.0.1:<port>/v1` (completions and chat live here). */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Problems the server can solve (matched by their prompt text inside the request). */
  registerProblems(problems: readonly Problem[]): this {
    for (const p of problems) this.problems.set(p.prompt, workedSolutionOf(p) ?? null);
    return this;
  }

  /** Faults played by the next requests, one each, in order (before any random fault). */
  injectFaults(...faults: Fault[]): this {
    this.queued.push(...faults);
    return this;
  }

  /** Changes the random fault rate (and kinds) from now on. */
  setFaultRate(rate: number, kinds?: Fault[]): this {
    this.options.faultRate = rate;
    if (kinds !== undefined) this.options.faultKinds = kinds;
    return this;
  }

  setLatency(ms: number): this {
    this.options.latencyMs = ms;
    return this;
  }

  /** Requests to a path (e.g. "/v1/completions"), or all. */
  requestsTo(path?: string): RecordedRequest[] {
    return path === undefined ? this.requests : this.requests.filter((r) => r.path === path);
  }

  /** Most requests that arrived within any window of `windowMs` (sliding, measured by the server). */
  maxInWindow(windowMs: number, path?: string): number {
    const times = this.requestsTo(path).map((r) => r.arrivedAt).sort((a, b) => a - b);
    let best = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi] - times[lo] >= windowMs) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  /** Requests whose connection the client closed before an answer. */
  get closedByClient(): number {
    return this.requests.filter((r) => r.closedByClient).length;
  }

  /** Resolves once `count` requests were closed by the client, or after `timeoutMs` (then returns false). */
  waitForClientClose(count: number, timeoutMs: number): Promise<boolean> {
    if (this.closedByClient >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const check = (): void => {
        if (this.closedByClient >= count) {
          clearTimeout(timer);
          resolve(true);
        } else {
          this.closedWaiters.push(check);
        }
      };
      this.closedWaiters.push(check);
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const rec: RecordedRequest = {
        index: this.requests.length,
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0],
        headers: req.headers,
        raw,
        body,
        arrivedAt: performance.now(),
        closedByClient: false,
        answered: false,
      };
      this.requests.push(rec);
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        this.inFlight--;
      };
      res.on('close', () => {
        if (!res.writableFinished) {
          rec.closedByClient = !rec.answered;
          const waiters = this.closedWaiters;
          this.closedWaiters = [];
          for (const w of waiters) w();
        }
        finish();
      });
      res.on('finish', () => {
        rec.answered = true;
        finish();
      });
      this.respond(rec, req, res);
    });
  }

  private nextFault(): Fault | undefined {
    const queued = this.queued.shift();
    if (queued !== undefined) return queued;
    const { faultRate, faultKinds } = this.options;
    if (faultRate > 0 && faultKinds.length > 0) {
      const r = this.rng.split(`fault:${this.requests.length}`);
      if (r.float() < faultRate) return faultKinds[r.int(faultKinds.length)];
    }
    return undefined;
  }

  private respond(rec: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.options.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      // Like some providers, echo the credential that was rejected: clients must not pass it on.
      const sent = req.headers.authorization ?? '(none)';
      this.later(this.options.latencyMs, () => sendJson(res, 401, { error: { message: `Incorrect API key provided: ${sent}`, type: 'invalid_request_error' } }));
      return;
    }
    const fault = this.nextFault();
    rec.fault = fault?.kind;
    let delay = this.options.latencyMs;
    if (fault?.kind === 'slow') delay += fault.ms;
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    this.later(delay, () => {
      if (res.destroyed) return;
      if (fault?.kind === 'status') {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        const text = fault.echoAuth === true ? `upstream failed for ${req.headers.authorization ?? ''}. ${fault.body ?? ''}` : (fault.body ?? `{"error":{"message":"fault ${fault.status}"}}`);
        res.writeHead(fault.status, { 'content-type': 'application/json', ...headers });
        res.end(text);
        return;
      }
      if (fault?.kind === 'non-json') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      }
      if (fault?.kind === 'wrong-shape') {
        sendJson(res, 200, { choices: 'none', data: { oops: true } });
        return;
      }
      let payload: Record<string, unknown>;
      try {
        payload = this.answer(rec);
      } catch (err) {
        sendJson(res, 400, { error: { message: (err as Error).message } });
        return;
      }
      if (payload.__status !== undefined) {
        const status = payload.__status as number;
        delete payload.__status;
        sendJson(res, status, payload);
        return;
      }
      if (fault?.kind === 'no-usage') delete payload.usage;
      if (fault?.kind === 'wrong-n' && Array.isArray(payload.choices)) {
        const choices = payload.choices as unknown[];
        payload.choices = choices.length > 1 ? choices.slice(0, -1) : [...choices, { ...(choices[0] as object), index: 1 }];
      }
      const text = JSON.stringify(payload);
      if (fault?.kind === 'bad-json') {
        const half = text.slice(0, Math.floor(text.length / 2));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(half) });
        res.end(half);
        return;
      }
      if (fault?.kind === 'truncated') {
        const half = text.slice(0, Math.floor(text.length / 2));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.write(half, () => req.socket.destroy());
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  }

  /** The normal answer for a request, by path. */
  private answer(rec: RecordedRequest): Record<string, unknown> {
    const body = rec.body as Record<string, any> | undefined;
    if (body === undefined || typeof body !== 'object') return { __status: 400, error: { message: 'body must be JSON' } };
    switch (rec.path) {
      case '/v1/completions':
        return this.completions(body, false);
      case '/v1/chat/completions':
        return this.completions(body, true);
      case '/pooling':
        return this.pooling(body);
      case '/classify':
        return this.classify(body);
      case '/score':
      case '/v1/score':
        return this.score(body);
      case '/tokenize':
        return this.tokenize(body);
      default:
        return { __status: 404, error: { message: `no route ${rec.path}` } };
    }
  }

  /** The longest registered prompt that occurs in `text`, and where the text after it starts. */
  private findPrompt(text: string): { worked: WorkedSolution | null; rest: string } | undefined {
    let best: string | undefined;
    for (const prompt of this.problems.keys()) if (text.includes(prompt) && (best === undefined || prompt.length > best.length)) best = prompt;
    if (best === undefined) return undefined;
    return { worked: this.problems.get(best) ?? null, rest: text.slice(text.indexOf(best) + best.length) };
  }

  /** The registered problem whose prompt occurs in `text`, and the steps written after it. */
  private locate(text: string, splitOn: string): { worked: WorkedSolution | null; steps: string[]; found: boolean } {
    const hit = this.findPrompt(text);
    if (hit === undefined) return { worked: null, steps: [], found: false };
    const steps = hit.rest
      .split(splitOn)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return { worked: hit.worked, steps, found: true };
  }

  private completions(body: Record<string, any>, chat: boolean): Record<string, unknown> {
    const n = typeof body.n === 'number' ? body.n : 1;
    const d = this.options.delimiter;
    const stops: string[] = body.stop === undefined || body.stop === null ? [] : Array.isArray(body.stop) ? body.stop : [body.stop];
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 16;
    const temperature = typeof body.temperature === 'number' ? body.temperature : 1;
    let text: string;
    if (chat) {
      if (!Array.isArray(body.messages)) return { __status: 400, error: { message: 'messages required' } };
      text = body.messages.map((m: { content: string }) => m.content).join(d);
    } else {
      if (typeof body.prompt !== 'string') return { __status: 400, error: { message: 'prompt must be a string' } };
      text = body.prompt;
    }
    const where = this.locate(text, d);
    const base = this.rng.split(`seed:${body.seed ?? 'none'}`).split(text);
    const choices: Choice[] = [];
    for (let i = 0; i < n; i++) choices.push(this.writeChoice(where, stops.includes(d), maxTokens, temperature, base.split(i)));
    const promptTokens = fakeTokens(text).length;
    const completionTokens = choices.reduce((s, c) => s + c.tokens.length, 0);
    const wantLogprobs = chat ? body.logprobs === true : typeof body.logprobs === 'number';
    const style = this.options.stopStyle;
    return {
      id: `cmpl-${this.requests.length}`,
      object: chat ? 'chat.completion' : 'text_completion',
      created: 0,
      model: body.model ?? 'fake',
      choices: choices.map((c, index) => {
        const out: Record<string, unknown> = { index, finish_reason: c.finish };
        if (chat) {
          out.message = { role: 'assistant', content: c.text };
          out.logprobs = wantLogprobs ? { content: c.tokens.map((token, k) => ({ token, logprob: c.logprobs[k], bytes: [], top_logprobs: [] })) } : null;
        } else {
          out.text = c.text;
          out.logprobs = wantLogprobs ? { tokens: c.tokens, token_logprobs: c.logprobs, top_logprobs: c.tokens.map((t, k) => ({ [t]: c.logprobs[k] })), text_offset: [] } : null;
        }
        if (style === 'vllm') out.stop_reason = c.finish === 'stop' ? c.matched : null;
        if (style === 'sglang') out.matched_stop = c.finish === 'stop' ? c.matched : null;
        return out;
      }),
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
  }

  /** The next step of a located trajectory (or the rest of the solution when the delimiter is not a stop). */
  private writeChoice(where: { worked: WorkedSolution | null; steps: string[]; found: boolean }, stepwise: boolean, maxTokens: number, temperature: number, rng: Rng): Choice {
    const d = this.options.delimiter;
    const pieces: { text: string; wrong: boolean; final: boolean }[] = [];
    const steps = [...where.steps];
    for (let guard = 0; guard < 64; guard++) {
      const next = this.nextStep(where.worked, steps, temperature, rng);
      pieces.push(next);
      steps.push(next.text);
      if (next.final || stepwise) break;
    }
    const last = pieces[pieces.length - 1];
    let text = pieces.map((p) => p.text).join(d);
    let tokens = fakeTokens(text);
    let finish: Choice['finish'] = 'stop';
    const matched = last.final ? null : d;
    if (tokens.length > maxTokens) {
      tokens = tokens.slice(0, maxTokens);
      text = tokens.join('');
      finish = 'length';
    }
    const perToken = pieces.some((p) => p.wrong) ? -0.6 : -0.05;
    return { text, finish, matched: finish === 'stop' ? matched : null, tokens, logprobs: tokens.map(() => perToken) };
  }

  private nextStep(worked: WorkedSolution | null, steps: string[], temperature: number, rng: Rng): { text: string; wrong: boolean; final: boolean } {
    if (worked === null) return { text: 'I cannot solve this problem.', wrong: false, final: true };
    const i = steps.length;
    const claimed = claimedResults(worked, steps);
    if (i >= worked.steps.length) {
      const last = claimed.length > 0 ? claimed[claimed.length - 1] : Number.NaN;
      return { text: finalText(formatNumber(last)), wrong: false, final: true };
    }
    const s = worked.steps[i];
    const a = typeof s.a === 'number' ? s.a : claimed[s.a.ref];
    const b = typeof s.b === 'number' ? s.b : claimed[s.b.ref];
    const truth = applyOp(a, s.op, b);
    const wrong = temperature > 0 && rng.float() < this.options.wrongStepRate;
    const result = wrong ? truth + [1, -1, 2, 10][rng.int(4)] : truth;
    return { text: stepText(a, s.op, b, result), wrong, final: false };
  }

  /** P(good) of every step prefix of a PRM input: one per separator (0.5 for unknown problems). */
  private stepScores(text: string): number[] {
    const hit = this.findPrompt(text);
    if (hit === undefined) return text.split(SEPARATOR).slice(1).map(() => 0.5);
    // What follows the last separator is the template's tail, not a step.
    const steps = hit.rest.split(SEPARATOR).slice(0, -1).map((s) => s.trim());
    return steps.map((_, k) => (hit.worked !== null && isOnCorrectPath(hit.worked, steps.slice(0, k + 1)) ? 0.9 : 0.1));
  }

  private inputs(body: Record<string, any>): string[] | undefined {
    if (typeof body.input === 'string') return [body.input];
    if (Array.isArray(body.input) && body.input.every((x: unknown) => typeof x === 'string')) return body.input;
    return undefined;
  }

  private pooling(body: Record<string, any>): Record<string, unknown> {
    const inputs = this.inputs(body);
    if (inputs === undefined) return { __status: 400, error: { message: 'input must be a string or a list of strings' } };
    let tokens = 0;
    const data = inputs.map((text, index) => {
      const scores = this.stepScores(text);
      const toks = fakeTokens(text);
      tokens += toks.length;
      let rows: number[][];
      if (this.options.pooling === 'step') {
        rows = scores.map((p) => [1 - p, p]);
      } else {
        let k = 0;
        rows = toks.map((t) => (t === SEPARATOR ? [1 - scores[k], scores[k++]] : [0.5, 0.5]));
      }
      return { index, object: 'pooling', data: rows };
    });
    return { id: 'pool-0', object: 'list', created: 0, model: body.model, data, usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 } };
  }

  /** Whole-solution correctness as an outcome probability. */
  private outcomeScore(text: string, delimiter: string): number {
    const where = this.locate(text, delimiter);
    if (where.worked === null) return 0.5;
    const finished = where.steps.length > where.worked.steps.length;
    return finished && isOnCorrectPath(where.worked, where.steps) ? 0.85 : 0.15;
  }

  private classify(body: Record<string, any>): Record<string, unknown> {
    const inputs = this.inputs(body);
    if (inputs === undefined) return { __status: 400, error: { message: 'input must be a string or a list of strings' } };
    let tokens = 0;
    const data = inputs.map((text, index) => {
      tokens += fakeTokens(text).length;
      const p = this.outcomeScore(text, this.options.delimiter);
      return { index, label: p > 0.5 ? 'good' : 'bad', probs: [1 - p, p], num_classes: 2 };
    });
    return { id: 'classify-0', object: 'list', created: 0, model: body.model, data, usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 } };
  }

  private score(body: Record<string, any>): Record<string, unknown> {
    const t1: string[] = Array.isArray(body.text_1) ? body.text_1 : [body.text_1];
    const t2: string[] = Array.isArray(body.text_2) ? body.text_2 : [body.text_2];
    if (t1.length !== t2.length && t1.length !== 1) return { __status: 400, error: { message: 'text_1 and text_2 lengths differ' } };
    let tokens = 0;
    const data = t2.map((solution, index) => {
      const query = t1.length === 1 ? t1[0] : t1[index];
      tokens += fakeTokens(query).length + fakeTokens(solution).length;
      return { index, object: 'score', score: this.outcomeScore(`${query}${this.options.delimiter}${solution}`, this.options.delimiter) };
    });
    return { id: 'score-0', object: 'list', created: 0, model: body.model, data, usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 } };
  }

  private tokenize(body: Record<string, any>): Record<string, unknown> {
    if (typeof body.prompt !== 'string') return { __status: 400, error: { message: 'prompt must be a string' } };
    const tokens = fakeTokens(body.prompt).map(tokenId);
    return { count: tokens.length, max_model_len: 32768, tokens };
  }
}

function sendJson(res: http.ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
