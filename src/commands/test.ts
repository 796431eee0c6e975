// `switchboard test`: runs the `tests:` cases written in the config, like a
// unit-test runner: a line per case, a readable diff for each failure.
import { isDeepStrictEqual } from 'node:util';
import { diffLines } from 'diff';
import type { Config, Expectation, TestCase } from '../config/types.js';
import { planDelivery, type Plan } from '../delivery/plan.js';
import { identify, splitPayloads } from '../event/identify.js';
import { plannedEvent, TEST_STAMP, type PlannedEvent } from '../event/planned.js';
import { inlinePayload, loadForCommand, paint, readPayloadFile, type IO } from './io.js';
import { errorMessage } from '../lib/errors.js';

export interface CaseResult {
  name: string;
  failures: string[];
}

export interface TestOptions {
  /** One JSON document on stdout instead of a line per case. */
  readonly json?: boolean;
  /** A config without tests: cases passes (by default it fails: a CI gate must not pass vacuously). */
  readonly passWithNoTests?: boolean;
}

export async function testCommand(file: string, io: IO, options: TestOptions = {}): Promise<number> {
  const config = loadForCommand(file, io);
  if (!config) {
    if (options.json) io.out(JSON.stringify({ file, valid: false, passed: 0, failed: 0, cases: [] }));
    return 1;
  }
  const c = paint(io);
  if (config.tests.length === 0) {
    const ok = options.passWithNoTests === true;
    if (options.json) io.out(JSON.stringify({ file, valid: true, passed: 0, failed: 0, cases: [], noTests: true }));
    else if (ok) io.out(`${file}: no tests (passing: --pass-with-no-tests)`);
    else io.err(`${file}: no tests: add a tests: section (see the README), or pass --pass-with-no-tests`);
    return ok ? 0 : 1;
  }
  const redact = config.redact;
  let failed = 0;
  const cases: { name: string; line: number; ok: boolean; failures: string[] }[] = [];
  for (const t of config.tests) {
    const result = await runCase(config, t);
    const failures = result.failures.map((f) => redact.text(f));
    cases.push({ name: t.name, line: t.line, ok: failures.length === 0, failures });
    if (failures.length) failed++;
    if (options.json) continue;
    if (failures.length === 0) {
      io.out(`${c.green('✓')} ${t.name}`);
      continue;
    }
    io.out(`${c.red('✗')} ${t.name} ${c.dim(`(${file}:${t.line})`)}`);
    for (const f of failures) for (const line of f.split('\n')) io.out(`    ${colorDiffLine(line, c)}`);
  }
  const passed = config.tests.length - failed;
  if (options.json) io.out(JSON.stringify({ file, valid: true, passed, failed, cases }));
  else {
    io.out('');
    io.out(`${passed} passed, ${failed} failed`);
  }
  return failed > 0 ? 1 : 0;
}

export async function runCase(config: Config, t: TestCase): Promise<CaseResult> {
  const failures: string[] = [];
  const source = config.sources.get(t.source)!;
  const loaded = 'file' in t.payload ? readPayloadFile(t.payload.file, t.contentType) : inlinePayload(t.payload.inline, t.contentType);
  if ('error' in loaded) return { name: t.name, failures: [loaded.error] };
  const headers = { 'content-type': loaded.contentType, ...t.headers };
  // A batched body (split:) is one event per element, as the server stores it: a route's
  // requests are those of every element, in order.
  let elements: { payload: unknown; raw: Uint8Array; contentType: string }[] = [{ payload: loaded.payload, raw: loaded.raw, contentType: loaded.contentType }];
  if (source.split) {
    let list: unknown[];
    try {
      list = await splitPayloads(source, { headers, query: t.query, payload: loaded.payload });
    } catch (err) {
      return { name: t.name, failures: [`split failed: ${errorMessage(err)}`] };
    }
    if (list.length > config.server.maxSplit) return { name: t.name, failures: [`the body holds ${list.length} events; at most ${config.server.maxSplit} (server.maxSplit)`] };
    elements = list.map((p) => ({ payload: p, raw: Buffer.from(JSON.stringify(p ?? null)), contentType: 'application/json' }));
  }
  const planned: PlannedEvent[] = [];
  for (const el of elements) {
    const pieces = { source: source.name, headers, query: t.query, payload: el.payload, rawBody: el.raw, contentType: el.contentType };
    const who = await identify(source, pieces);
    failures.push(...who.problems);
    planned.push(plannedEvent(pieces, who.topic, TEST_STAMP));
  }
  const topics = [...new Set(planned.map((event) => event.topic))].join('", "');
  for (const e of t.expect) {
    const route = config.routes.find((r) => r.name === e.route)!;
    const plans: (Plan | { outcome: 'topic-mismatch' })[] = [];
    for (const event of planned) {
      plans.push(route.matchesTopic(event.topic) ? await planDelivery(route, event, `${TEST_STAMP.id}-${route.name}`, { maxFanout: config.server.maxFanout }) : { outcome: 'topic-mismatch' });
    }
    failures.push(...check(e, merge(plans), topics).map((f) => `route ${e.route} (line ${e.line}): ${f}`));
  }
  return { name: t.name, failures };
}

/** One plan for a route over the elements of a split body: the first error, else every request sent, else the first reason it did not send. */
function merge(plans: (Plan | { outcome: 'topic-mismatch' })[]): Plan | { outcome: 'topic-mismatch' } {
  if (plans.length === 1) return plans[0]!;
  const error = plans.find((p) => p.outcome === 'error');
  if (error) return error;
  const requests = plans.flatMap((p) => (p.outcome === 'send' ? p.requests : []));
  if (requests.length > 0) return { outcome: 'send', requests };
  return plans.find((p) => p.outcome === 'filtered') ?? { outcome: 'topic-mismatch' };
}

function check(e: Expectation, plan: Plan | { outcome: 'topic-mismatch' }, topic: string): string[] {
  const got = describePlan(plan, topic);
  if (e.error !== undefined) {
    if (plan.outcome !== 'error') return [`expected an error containing ${JSON.stringify(e.error)}, but it ${got}`];
    return plan.message.includes(e.error) ? [] : [`expected an error containing ${JSON.stringify(e.error)}, got: ${plan.message}`];
  }
  if (e.skipped === true) return plan.outcome === 'send' ? [`expected to be skipped, but it ${got}`] : plan.outcome === 'error' ? [`expected to be skipped, but it ${got}`] : [];
  if (plan.outcome !== 'send') return [`expected to send, but it ${got}`];
  const failures: string[] = [];
  const reqs = plan.requests;
  if (e.body !== undefined) {
    if (reqs.length !== 1) failures.push(`expected one request, but it sends ${reqs.length} (use "bodies:" to list them)`);
    else if (!sameJson(e.body, reqs[0]!.value)) failures.push(`body differs:\n${diff(e.body, reqs[0]!.value)}`);
  }
  if (e.bodies !== undefined) {
    const values = reqs.map((r) => r.value);
    if (!sameJson(e.bodies, values)) failures.push(`bodies differ:\n${diff(e.bodies, values)}`);
  }
  for (const req of reqs) {
    if (e.url !== undefined && req.url !== e.url) failures.push(`url: expected ${e.url}\n  got      ${req.url}`);
    if (e.method !== undefined && req.method !== e.method.toUpperCase()) failures.push(`method: expected ${e.method}, got ${req.method}`);
    for (const [name, value] of Object.entries(e.headers ?? {})) {
      const actual = Object.entries(req.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
      if (actual !== value) failures.push(`header ${name}: expected ${JSON.stringify(value)}, got ${actual === undefined ? 'none' : JSON.stringify(actual)}`);
    }
  }
  return [...new Set(failures)];
}

function describePlan(plan: Plan | { outcome: 'topic-mismatch' }, topic: string): string {
  switch (plan.outcome) {
    case 'topic-mismatch':
      return `was skipped: topic "${topic}" does not match its topics`;
    case 'filtered':
      return `was filtered (${plan.reason})`;
    case 'error':
      return `failed: ${plan.message}`;
    case 'send':
      return `sends ${plan.requests.length} request${plan.requests.length === 1 ? '' : 's'}`;
  }
}

/** Compare as JSON would see it: YAML's 1 and JSON's 1.0 are the same number. */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}

function diff(expected: unknown, actual: unknown): string {
  const a = `${JSON.stringify(normalize(expected), null, 2)}\n`;
  const b = `${JSON.stringify(normalize(actual), null, 2)}\n`;
  const lines = ['- expected', '+ actual'];
  for (const part of diffLines(a, b)) {
    const mark = part.added ? '+ ' : part.removed ? '- ' : '  ';
    for (const line of part.value.replace(/\n$/, '').split('\n')) lines.push(mark + line);
  }
  return lines.map((l) => `  ${l}`).join('\n');
}

function colorDiffLine(line: string, c: ReturnType<typeof paint>): string {
  if (/^\s*- /.test(line)) return c.red(line);
  if (/^\s*\+ /.test(line)) return c.green(line);
  return line;
}
