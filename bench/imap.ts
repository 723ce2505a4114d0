/**
 * IMAP fetch benchmark against Dovecot, the scenarios of issue 4 and /work/shared/BENCHMARKS.md:
 *
 *   (a) UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE MODSEQ) of 10,000 messages
 *   (b) UID FETCH 1:* (UID BODY.PEEK[HEADER]) of the same 10,000 messages
 *   (c) UID FETCH 1:* (UID BODY.PEEK[]) of 1,000 messages of 100 KB
 *   (d) UID FETCH 1:* (UID BODY.PEEK[]) of one 100 MiB message
 *
 * Contenders: mailwire (ImapClient.fetch; bodies streamed in (c)/(d) through
 * `message.chunks('', { reuse: true })`, headers buffered in (b)),
 * imapflow 2.10 with its defaults (COMPRESS=DEFLATE on) and with `disableCompression`, "raw",
 * a socket that sends the same command and only frames and counts bytes (bench/imap/raw.ts), and,
 * in (c) and (d), "floor": mailwire's tokenizer under the same consumer loop with nothing else
 * behind it, the least a client of this shape costs (bench/imap/floor.ts; a reference, no goal).
 * Each run is its own process (so RSS is the client's own); runs are interleaved, the first round
 * is an untimed warm-up (page cache, Dovecot's cache file); the report gives medians of wall time
 * (the fetch only, after login and EXAMINE), RSS growth during the fetch, and the ratios.
 *
 *   node --import tsx bench/imap.ts [--runs 5] [--only a,b,c,d] [--clients raw,mailwire,...] [--tls]
 *   npm run bench -- imap
 *
 * Uses MAILWIRE_DOVECOT_ENV when set (a facts file from `node scripts/dovecot.mjs start`), else
 * starts a throwaway Dovecot of its own and stops it at the end. Seeding writes Maildir files
 * directly (bench/imap/seed.ts) and lets Dovecot index them before the first run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runFloor } from './imap/floor.js';
import { runRaw, type RawTarget } from './imap/raw.js';
import { benchDovecot } from './lib/dovecot.js';
import { median, perRoundMedian } from './lib/measure.js';
import { argument, workerCommand } from './lib/worker.js';
import { seed, type SeedFacts, type Seeded } from './imap/seed.js';

interface Facts extends SeedFacts {
  readonly host: string;
  readonly servername: string;
  readonly ports: { readonly imap: number; readonly imaps: number };
  readonly users: Readonly<Record<string, { readonly username: string; readonly password: string; readonly maildir: string }>>;
  readonly ca: string;
  readonly factsPath: string;
}

const SCENARIOS = {
  a: { mailbox: 'INBOX', title: '(a) UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE MODSEQ), 10,000 msgs', command: 'UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE MODSEQ)' },
  b: { mailbox: 'INBOX', title: '(b) UID FETCH 1:* (UID BODY.PEEK[HEADER]), 10,000 msgs', command: 'UID FETCH 1:* (UID BODY.PEEK[HEADER])' },
  c: { mailbox: 'Bodies', title: '(c) UID FETCH 1:* (UID BODY.PEEK[]), 1,000 x 100 KB', command: 'UID FETCH 1:* (UID BODY.PEEK[])' },
  d: { mailbox: 'Large', title: '(d) UID FETCH 1:* (UID BODY.PEEK[]), one 100 MiB message', command: 'UID FETCH 1:* (UID BODY.PEEK[])' },
} as const;
type ScenarioName = keyof typeof SCENARIOS;

const CLIENTS = ['raw', 'floor', 'mailwire', 'imapflow-nocompress', 'imapflow'] as const;
type ClientName = (typeof CLIENTS)[number];

/** The scenarios each client takes part in: the floor only streams bodies (bench/imap/floor.ts). */
function runsIn(client: ClientName, scenario: ScenarioName): boolean {
  return client !== 'floor' || scenario === 'c' || scenario === 'd';
}

const USER = 'alice';
/** How often a worker samples its RSS during the fetch (see runWorker). */
const RSS_SAMPLE_MS = 20;
const COUNTS = { headers: 10_000, bodies: 1_000, bodySize: 100 * 1024, largeSize: 100 * 1024 * 1024 };

/** What one worker process reports (one JSON line on stdout). */
interface WorkerResult {
  readonly client: ClientName;
  readonly scenario: ScenarioName;
  readonly ms: number;
  /** The highest RSS seen during the fetch minus the RSS right before it, MiB. */
  readonly rssGrowthMiB: number;
  /** CPU time (user + system) of the client process during the fetch, ms. */
  readonly cpuMs: number;
  /** Messages seen (responses for raw). */
  readonly messages: number;
  /** Payload bytes seen: header/body bytes (literal bytes for raw). */
  readonly bytes: number;
}

// ---------------------------------------------------------------------------------------------
// Workers: one client, one scenario, one run
// ---------------------------------------------------------------------------------------------

interface Measured {
  readonly ms: number;
  readonly messages: number;
  readonly bytes: number;
}

async function withMailwire(facts: Facts, scenario: ScenarioName, useTls: boolean): Promise<Measured> {
  const { ImapClient } = await import('../src/imap/client.js');
  const user = facts.users[USER]!;
  const client = await ImapClient.connect({
    host: facts.host,
    port: useTls ? facts.ports.imaps : facts.ports.imap,
    tls: useTls ? 'implicit' : 'none',
    allowCleartext: true,
    tlsOptions: { ca: facts.ca, servername: facts.servername },
    auth: { username: user.username, password: user.password, method: 'LOGIN' },
  });
  await client.examine(SCENARIOS[scenario].mailbox);
  // One small function per scenario: the engine optimises the loop being measured, not a harness
  // holding every scenario's loop (that compile alone took 6-13 ms of CPU per run).
  const started = performance.now();
  const counted = scenario === 'a' ? await mailwireEnvelopes(client) : scenario === 'b' ? await mailwireHeaders(client) : await mailwireBodies(client);
  const ms = performance.now() - started;
  await client.logout();
  return { ms, ...counted };
}

type MailwireClient = InstanceType<typeof import('../src/imap/client.js').ImapClient>;

async function mailwireEnvelopes(client: MailwireClient): Promise<Counted> {
  let messages = 0;
  for await (const message of client.fetch('1:*', { flags: true, size: true, envelope: true, modseq: true })) {
    if (message.attributes.envelope !== undefined) messages++;
  }
  return { messages, bytes: 0 };
}

async function mailwireHeaders(client: MailwireClient): Promise<Counted> {
  let messages = 0;
  let bytes = 0;
  for await (const message of client.fetch('1:*', { bodies: ['HEADER'] }, { bodies: 'buffer' })) {
    bytes += message.bodyBytes('HEADER')?.length ?? 0;
    messages++;
  }
  return { messages, bytes };
}

async function mailwireBodies(client: MailwireClient): Promise<Counted> {
  let messages = 0;
  let bytes = 0;
  for await (const message of client.fetch('1:*', { source: true })) {
    // Each body read as a stream, by iteration with recycled chunks (docs/imap.md): a chunk is
    // valid until the next step, which is all a consumer that counts, hashes or writes needs.
    for await (const chunk of message.chunks('', { reuse: true })) bytes += chunk.length;
    messages++;
  }
  return { messages, bytes };
}

interface Counted {
  readonly messages: number;
  readonly bytes: number;
}

interface ImapFlowMessage {
  envelope?: unknown;
  headers?: Buffer;
  source?: Buffer;
}

interface ImapFlowClient {
  connect(): Promise<void>;
  mailboxOpen(path: string, options: { readOnly: boolean }): Promise<unknown>;
  fetch(range: string, query: Record<string, boolean>, options: { uid: boolean }): AsyncIterable<ImapFlowMessage>;
  logout(): Promise<void>;
}

async function withImapFlow(facts: Facts, scenario: ScenarioName, useTls: boolean, compress: boolean): Promise<Measured> {
  const { ImapFlow } = (await import('imapflow')) as unknown as { ImapFlow: new (options: Record<string, unknown>) => ImapFlowClient };
  const user = facts.users[USER]!;
  const client = new ImapFlow({
    host: facts.host,
    port: useTls ? facts.ports.imaps : facts.ports.imap,
    secure: useTls,
    doSTARTTLS: false,
    auth: { user: user.username, pass: user.password },
    tls: { ca: facts.ca, servername: facts.servername },
    logger: false,
    disableCompression: !compress,
  });
  await client.connect();
  await client.mailboxOpen(SCENARIOS[scenario].mailbox, { readOnly: true });
  const started = performance.now();
  // imapflow adds MODSEQ to every FETCH itself once CONDSTORE is enabled (it enables it at login).
  const counted = scenario === 'a' ? await imapflowEnvelopes(client) : await imapflowSources(client, scenario === 'b' ? 'headers' : 'source');
  const ms = performance.now() - started;
  await client.logout();
  return { ms, ...counted };
}

async function imapflowEnvelopes(client: ImapFlowClient): Promise<Counted> {
  let messages = 0;
  for await (const message of client.fetch('1:*', { uid: true, flags: true, size: true, envelope: true }, { uid: true })) {
    if (message.envelope !== undefined) messages++;
  }
  return { messages, bytes: 0 };
}

async function imapflowSources(client: ImapFlowClient, item: 'headers' | 'source'): Promise<Counted> {
  let messages = 0;
  let bytes = 0;
  for await (const message of client.fetch('1:*', { uid: true, [item]: true }, { uid: true })) {
    bytes += message[item]?.length ?? 0;
    messages++;
  }
  return { messages, bytes };
}

function rawTarget(facts: Facts, useTls: boolean): RawTarget {
  const user = facts.users[USER]!;
  return {
    host: facts.host,
    port: useTls ? facts.ports.imaps : facts.ports.imap,
    tls: useTls,
    ca: facts.ca,
    servername: facts.servername,
    username: user.username,
    password: user.password,
  };
}

async function withRaw(facts: Facts, scenario: ScenarioName, useTls: boolean): Promise<Measured> {
  const result = await runRaw(rawTarget(facts, useTls), SCENARIOS[scenario].mailbox, SCENARIOS[scenario].command);
  return { ms: result.ms, messages: result.responses, bytes: result.literalBytes };
}

function withFloor(facts: Facts, scenario: ScenarioName, useTls: boolean): Promise<Measured> {
  return runFloor(rawTarget(facts, useTls), SCENARIOS[scenario].mailbox, SCENARIOS[scenario].command);
}

async function runWorker(client: ClientName, scenario: ScenarioName, facts: Facts, useTls: boolean): Promise<WorkerResult> {
  const rss = (): number => process.memoryUsage.rss();
  // Sampled RSS peak; the process's maxRSS catches what the timer misses during long sync work.
  // Every RSS_SAMPLE_MS: a sample reads /proc and took 0.1-0.4 ms of the measured process's main
  // thread, which at every 5 ms was up to 3% of a client-bound run (mailwire's (a), 8.6 ms in one).
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  let baseline = rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss());
  }, RSS_SAMPLE_MS);
  const cpuBefore = process.cpuUsage();
  const reset = (): void => {
    baseline = rss();
    peak = baseline;
  };
  reset();
  let measured: Measured;
  switch (client) {
    case 'mailwire':
      measured = await withMailwire(facts, scenario, useTls);
      break;
    case 'imapflow':
      measured = await withImapFlow(facts, scenario, useTls, true);
      break;
    case 'imapflow-nocompress':
      measured = await withImapFlow(facts, scenario, useTls, false);
      break;
    case 'raw':
      measured = await withRaw(facts, scenario, useTls);
      break;
    case 'floor':
      measured = await withFloor(facts, scenario, useTls);
      break;
  }
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuBefore);
  const maxRssAfter = process.resourceUsage().maxRSS * 1024;
  const highest = Math.max(peak, maxRssAfter > maxRssBefore ? maxRssAfter : 0);
  return {
    client,
    scenario,
    ...measured,
    rssGrowthMiB: Math.max(0, highest - baseline) / 2 ** 20,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// The parent: Dovecot, seeding, interleaved runs, report
// ---------------------------------------------------------------------------------------------

function runChild(
  command: readonly string[],
  client: ClientName,
  scenario: ScenarioName,
  factsPath: string,
  useTls: boolean,
  profileDir: string | undefined,
): Promise<WorkerResult> {
  const args = [
    ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
    ...command,
    '--worker',
    client,
    '--scenario',
    scenario,
    '--facts',
    factsPath,
    ...(useTls ? ['--tls'] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${client} ${scenario} worker exited with ${String(code)}: ${output}`));
        return;
      }
      resolve(JSON.parse(output.trim().split('\n').pop() ?? '{}') as WorkerResult);
    });
  });
}

/** Checks that a run saw everything that was seeded. */
function verify(result: WorkerResult, seeded: Seeded): void {
  const expected: Record<ScenarioName, { messages: number; bytes: number | null }> = {
    a: { messages: seeded.headerMessages, bytes: null },
    b: { messages: seeded.headerMessages, bytes: seeded.headerBytes },
    c: { messages: seeded.bodyMessages, bytes: seeded.bodyBytes },
    d: { messages: 1, bytes: seeded.largeBytes },
  };
  const want = expected[result.scenario];
  if (result.messages !== want.messages) throw new Error(`${result.client} (${result.scenario}) saw ${result.messages} messages, expected ${want.messages}`);
  // raw counts every literal byte; for (a) that includes ENVELOPE strings sent as literals.
  if (want.bytes !== null && result.bytes !== want.bytes) {
    throw new Error(`${result.client} (${result.scenario}) saw ${result.bytes} bytes, expected ${want.bytes}`);
  }
}

async function main(): Promise<void> {
  const runs = Number(argument('--runs', '5'));
  const only = argument('--only', 'a,b,c,d').split(',').filter((name): name is ScenarioName => name in SCENARIOS);
  const chosen = argument('--clients', CLIENTS.join(',')).split(',').filter((name): name is ClientName => (CLIENTS as readonly string[]).includes(name));
  const useTls = process.argv.includes('--tls');
  const profileDir = process.argv.includes('--profile') ? path.resolve(argument('--profile', '.tmp/imap-bench-profiles')) : undefined;

  const { facts, stop } = await benchDovecot<Facts>('imap');

  const bundleDir = mkdtempSync(path.join(tmpdir(), 'mailwire-bench-imap-worker-'));
  try {
    const command = await workerCommand(import.meta.url, bundleDir, ['imapflow']);
    const seedStart = performance.now();
    const seeded = seed(facts, USER, COUNTS);
    console.error(
      `seeded (or reused) ${COUNTS.headers} + ${COUNTS.bodies} + 1 messages in ${((performance.now() - seedStart) / 1000).toFixed(1)} s; ` +
        `${runs} interleaved runs per client${useTls ? ' over implicit TLS' : ''}, each in its own process`,
    );
    const summary: string[] = [];
    for (const scenario of only) {
      const clients = chosen.filter((client) => runsIn(client, scenario));
      const results = new Map<ClientName, WorkerResult[]>(clients.map((client) => [client, []]));
      // One untimed round: page cache, and Dovecot's cache decisions for ENVELOPE/headers.
      for (const client of clients) verify(await runChild(command, client, scenario, facts.factsPath, useTls, undefined), seeded);
      for (let run = 0; run < runs; run++) {
        const order = clients.map((_, index) => clients[(index + run) % clients.length]!);
        for (const client of order) {
          const profile = profileDir !== undefined && client === 'mailwire' && run === 0 ? path.join(profileDir, scenario) : undefined;
          const result = await runChild(command, client, scenario, facts.factsPath, useTls, profile);
          verify(result, seeded);
          results.get(client)!.push(result);
        }
      }
      const rows = clients.map((client) => {
        const list = results.get(client)!;
        return { client, ms: median(list.map((r) => r.ms)), cpu: median(list.map((r) => r.cpuMs)), growth: median(list.map((r) => r.rssGrowthMiB)) };
      });
      const by = (client: ClientName): { ms: number; growth: number } | undefined => rows.find((row) => row.client === client);
      const raw = by('raw');
      console.log(`\n${SCENARIOS[scenario].title}${useTls ? ', implicit TLS' : ''}; Dovecot, median of ${runs}`);
      console.log('| client | wall time | vs raw | CPU time | RSS growth |');
      console.log('|---|---|---|---|---|');
      for (const row of rows) {
        const ratio = raw === undefined ? '' : `${(row.ms / raw.ms).toFixed(2)}x`;
        console.log(`| ${row.client} | ${(row.ms / 1000).toFixed(3)} s | ${ratio} | ${(row.cpu / 1000).toFixed(3)} s | +${row.growth.toFixed(1)} MiB |`);
      }
      const mailwire = by('mailwire');
      if (mailwire === undefined) continue;
      const goals: string[] = [];
      // Beside the goals, which are judged on the medians: the median of per-round ratios.
      const perRound = (client: ClientName, over: ClientName): number | undefined => {
        const mine = results.get(client);
        const theirs = results.get(over);
        return mine === undefined || theirs === undefined ? undefined : perRoundMedian(mine.map((r) => r.ms), theirs.map((r) => r.ms));
      };
      const flow = by('imapflow-nocompress');
      const flowDefault = by('imapflow');
      if (scenario === 'a' || scenario === 'b') {
        if (flow !== undefined) goals.push(`${(flow.ms / mailwire.ms).toFixed(2)}x faster than imapflow (COMPRESS off; goal >= 2x: ${flow.ms / mailwire.ms >= 2 ? 'met' : 'NOT met'})`);
        if (flowDefault !== undefined) goals.push(`${(flowDefault.ms / mailwire.ms).toFixed(2)}x faster than imapflow defaults`);
        if (raw !== undefined) goals.push(`${(mailwire.ms / raw.ms).toFixed(2)}x raw (goal <= 1.5x: ${mailwire.ms / raw.ms <= 1.5 ? 'met' : 'NOT met'})`);
      } else if (scenario === 'c') {
        if (raw !== undefined) goals.push(`${(mailwire.ms / raw.ms).toFixed(2)}x raw (goal <= 1.2x: ${mailwire.ms / raw.ms <= 1.2 ? 'met' : 'NOT met'})`);
      } else {
        goals.push(`RSS growth +${mailwire.growth.toFixed(1)} MiB (goal < 32 MiB: ${mailwire.growth < 32 ? 'met' : 'NOT met'})`);
      }
      const pairedRaw = perRound('mailwire', 'raw');
      const pairedFlow = perRound('imapflow-nocompress', 'mailwire');
      const paired = [
        ...(pairedRaw === undefined ? [] : [`${pairedRaw.toFixed(2)}x raw`]),
        ...(pairedFlow === undefined || scenario === 'c' || scenario === 'd' ? [] : [`${pairedFlow.toFixed(2)}x faster than imapflow (COMPRESS off)`]),
      ];
      if (paired.length > 0) goals.push(`per-round medians: ${paired.join(', ')}`);
      // Not a goal: where the loop alone puts a client of this shape (bench/imap/floor.ts).
      const floor = by('floor');
      if (floor !== undefined && raw !== undefined) {
        const pairedFloor = perRound('floor', 'raw');
        goals.push(
          `the floor ${(floor.ms / raw.ms).toFixed(2)}x raw${pairedFloor === undefined ? '' : ` (per round ${pairedFloor.toFixed(2)}x)`}, mailwire ${(mailwire.ms / floor.ms).toFixed(2)}x the floor`,
        );
      }
      const line = `mailwire ${scenario}: ${goals.join('; ')}`;
      console.log(`\n${line}`);
      summary.push(line);
    }
    console.log(`\nSummary\n${summary.join('\n')}`);
    if (profileDir !== undefined) console.log(`\nCPU profiles of mailwire's first timed run: ${profileDir}/<scenario>/*.cpuprofile`);
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
    await stop();
  }
}

if (process.argv.includes('--worker')) {
  const client = argument('--worker', 'raw') as ClientName;
  const scenario = argument('--scenario', 'a') as ScenarioName;
  const facts = JSON.parse(readFileSync(argument('--facts', ''), 'utf8')) as Facts;
  runWorker(client, scenario, facts, process.argv.includes('--tls')).then(
    (result) => {
      console.log(JSON.stringify(result));
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
