/**
 * The client's own cost on scenarios (a), (b) and (c) of bench/imap.ts, without the server's noise:
 * Dovecot's answer to each FETCH is recorded once, then a local server replays it at full speed to
 * fresh processes. Each process fetches three times: the first fetch is what a fresh process pays
 * (the engine interprets, then compiles, the first few thousand responses), the third what a
 * long-lived one pays. "raw" frames and counts the same bytes (bench/imap/raw.ts).
 *
 * Dovecot's own timing varies from run to run on a shared machine by more than the differences a
 * change to the parser makes; the replay removes it. Use this to A/B a change (run it on both
 * sides), and bench/imap.ts for figures against the peers.
 *
 *   node --import tsx bench/imap-client.ts [--runs 9] [--only a,b,c]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runRaw } from './imap/raw.js';
import { seed, type SeedFacts } from './imap/seed.js';
import { benchDovecot } from './lib/dovecot.js';
import { median } from './lib/measure.js';
import { argument, workerCommand } from './lib/worker.js';

interface Facts extends SeedFacts {
  readonly host: string;
  readonly ports: { readonly imap: number };
  readonly users: Readonly<Record<string, { readonly username: string; readonly password: string; readonly maildir: string }>>;
}

const SCENARIOS = {
  a: { mailbox: 'INBOX', command: 'UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE MODSEQ)' },
  b: { mailbox: 'INBOX', command: 'UID FETCH 1:* (UID BODY.PEEK[HEADER])' },
  c: { mailbox: 'Bodies', command: 'UID FETCH 1:* (UID BODY.PEEK[])' },
} as const;
type ScenarioName = keyof typeof SCENARIOS;
const ROUNDS = 3;
const COUNTS = { headers: 10_000, bodies: 1_000, bodySize: 100 * 1024, largeSize: 100 * 1024 * 1024 };
const CAPABILITIES = 'IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UNSELECT CHILDREN NAMESPACE UIDPLUS CONDSTORE QRESYNC ESEARCH MOVE SPECIAL-USE';

// ---------------------------------------------------------------------------------------------
// Recording Dovecot's answers, and replaying them
// ---------------------------------------------------------------------------------------------

/** What Dovecot answers to EXAMINE and to the FETCH of a scenario, the FETCH without its tagged line. */
interface Recorded {
  readonly examine: Buffer;
  readonly fetch: Buffer;
}

/** Logs in as `user`, runs EXAMINE and the FETCH, and returns the bytes of both answers. */
function record(facts: Facts, user: string, scenario: ScenarioName): Promise<Recorded> {
  const account = facts.users[user]!;
  const { mailbox, command } = SCENARIOS[scenario];
  return new Promise((resolve, reject) => {
    const socket = net.connect(facts.ports.imap, facts.host);
    const chunks: Buffer[] = [];
    let stage = 0;
    let examine = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks);
      // Where the tagged completion line starts, once it has arrived whole; -1 before.
      const done = (tag: string): number => {
        const found = text.lastIndexOf(`\r\n${tag} `);
        const at = found !== -1 ? found + 2 : text.subarray(0, tag.length + 1).toString('latin1') === `${tag} ` ? 0 : -1;
        return at !== -1 && text.indexOf('\r\n', at) !== -1 ? at : -1;
      };
      if (stage === 0 && text.includes('\r\n')) {
        chunks.length = 0;
        stage = 1;
        socket.write(`a LOGIN ${JSON.stringify(account.username)} ${JSON.stringify(account.password)}\r\n`);
      } else if (stage === 1 && done('a') !== -1) {
        chunks.length = 0;
        stage = 2;
        socket.write(`b EXAMINE ${mailbox}\r\n`);
      } else if (stage === 2 && done('b') !== -1) {
        examine = text.subarray(0, done('b'));
        chunks.length = 0;
        stage = 3;
        socket.write(`c ${command}\r\n`);
      } else if (stage === 3 && done('c') !== -1) {
        stage = 4;
        socket.end('d LOGOUT\r\n');
        resolve({ examine, fetch: text.subarray(0, done('c')) });
      }
    });
  });
}

/** A local IMAP server that answers LOGIN, EXAMINE and the scenario's FETCH with what Dovecot said. */
function replayServer(recorded: Recorded): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(`* OK [CAPABILITY ${CAPABILITIES} AUTH=PLAIN] replay ready\r\n`);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n')) !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const [tag = '*', name = ''] = line.split(' ');
        switch (name.toUpperCase()) {
          case 'LOGIN':
          case 'AUTHENTICATE':
            socket.write(`${tag} OK [CAPABILITY ${CAPABILITIES}] Logged in\r\n`);
            break;
          case 'EXAMINE':
          case 'SELECT':
            socket.write(recorded.examine);
            socket.write(`${tag} OK [READ-ONLY] Examine completed\r\n`);
            break;
          case 'UID':
            socket.write(recorded.fetch);
            socket.write(`${tag} OK Fetch completed\r\n`);
            break;
          case 'LOGOUT':
            socket.end(`* BYE Logging out\r\n${tag} OK Logout completed\r\n`);
            break;
          default:
            socket.write(`${tag} OK done\r\n`);
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => { resolve(server); }));
}

// ---------------------------------------------------------------------------------------------
// Workers: one client, one scenario, ROUNDS fetches in one process
// ---------------------------------------------------------------------------------------------

interface Round {
  readonly ms: number;
  readonly cpuMs: number;
  readonly messages: number;
}

async function mailwireRounds(port: number, scenario: ScenarioName): Promise<Round[]> {
  const { ImapClient } = await import('../src/imap/client.js');
  const client = await ImapClient.connect({
    host: '127.0.0.1',
    port,
    tls: 'none',
    allowCleartext: true,
    auth: { username: 'replay', password: 'replay', method: 'LOGIN' },
  });
  await client.examine(SCENARIOS[scenario].mailbox);
  const rounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let messages = 0;
    // The loops of bench/imap.ts, for the same work.
    if (scenario === 'a') {
      for await (const message of client.fetch('1:*', { flags: true, size: true, envelope: true, modseq: true })) if (message.attributes.envelope !== undefined) messages++;
    } else if (scenario === 'b') {
      for await (const message of client.fetch('1:*', { bodies: ['HEADER'] }, { bodies: 'buffer' })) if (message.bodyBytes('HEADER') !== undefined) messages++;
    } else {
      for await (const message of client.fetch('1:*', { source: true })) {
        let bytes = 0;
        for await (const chunk of message.chunks('', { reuse: true })) bytes += chunk.length;
        if (bytes > 0) messages++;
      }
    }
    const used = process.cpuUsage(cpu);
    rounds.push({ ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, messages });
  }
  await client.logout();
  return rounds;
}

async function rawRounds(port: number, scenario: ScenarioName): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const target = { host: '127.0.0.1', port, tls: false, ca: '', servername: '', username: 'replay', password: 'replay' };
    const result = await runRaw(target, SCENARIOS[scenario].mailbox, SCENARIOS[scenario].command);
    const used = process.cpuUsage(cpu);
    rounds.push({ ms: result.ms, cpuMs: (used.user + used.system) / 1000, messages: result.responses });
  }
  return rounds;
}

function runChild(command: readonly string[], client: string, scenario: ScenarioName, port: number): Promise<Round[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, '--worker', client, '--scenario', scenario, '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(output.trim().split('\n').pop() ?? '[]') as Round[]);
      else reject(new Error(`${client} ${scenario} worker exited with ${String(code)}: ${output}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The parent
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runs = Number(argument('--runs', '9'));
  const only = argument('--only', 'a,b,c').split(',').filter((name): name is ScenarioName => name in SCENARIOS);
  const { facts, stop } = await benchDovecot<Facts>('imap-client');
  const bundleDir = mkdtempSync(path.join(tmpdir(), 'mailwire-bench-imap-client-'));
  try {
    const command = await workerCommand(import.meta.url, bundleDir, []);
    const seeded = seed(facts, 'alice', COUNTS);
    console.log(`Client time on Dovecot's recorded answers, replayed from a local socket; median of ${runs} processes, ${ROUNDS} fetches each\n`);
    console.log('| scenario | raw | mailwire, first fetch | mailwire, third fetch | first vs raw | third vs raw | mailwire CPU, first |');
    console.log('|---|---|---|---|---|---|---|');
    for (const scenario of only) {
      const recorded = await record(facts, 'alice', scenario);
      const server = await replayServer(recorded);
      const port = (server.address() as net.AddressInfo).port;
      const expected = scenario === 'c' ? seeded.bodyMessages : seeded.headerMessages;
      const raw: number[] = [];
      const first: number[] = [];
      const third: number[] = [];
      const cpu: number[] = [];
      for (let run = 0; run < runs; run++) {
        for (const client of run % 2 === 0 ? ['raw', 'mailwire'] : ['mailwire', 'raw']) {
          const rounds = await runChild(command, client, scenario, port);
          if (rounds.some((round) => round.messages !== expected)) throw new Error(`${client} (${scenario}) saw ${rounds.map((round) => round.messages).join('/')} messages, expected ${expected}`);
          if (client === 'raw') raw.push(rounds[0]!.ms);
          else {
            first.push(rounds[0]!.ms);
            third.push(rounds[ROUNDS - 1]!.ms);
            cpu.push(rounds[0]!.cpuMs);
          }
        }
      }
      server.close();
      const [r, f, t] = [median(raw), median(first), median(third)];
      console.log(`| (${scenario}) | ${r.toFixed(0)} ms | ${f.toFixed(0)} ms | ${t.toFixed(0)} ms | ${(f / r).toFixed(2)}x | ${(t / r).toFixed(2)}x | ${median(cpu).toFixed(0)} ms |`);
    }
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
    await stop();
  }
}

if (process.argv.includes('--worker')) {
  const client = argument('--worker', 'mailwire');
  const scenario = argument('--scenario', 'a') as ScenarioName;
  const port = Number(argument('--port', '0'));
  const rounds = client === 'raw' ? await rawRounds(port, scenario) : await mailwireRounds(port, scenario);
  console.log(JSON.stringify(rounds));
} else {
  await main();
}

