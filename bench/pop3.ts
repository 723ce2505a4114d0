/**
 * POP3 retrieval benchmark: 1,000 messages of 50 KB from Dovecot, retrieved with
 *
 * - mailwire (Pop3Client.retrieveMany, pipelined since Dovecot offers PIPELINING, each body read
 *   with `message.chunks({ reuse: true })`: borrowed chunks, the fastest documented way),
 * - node-pop3 0.11 (RETR one at a time, as its API allows),
 * - a raw socket that writes the same RETR commands at once and only frames and counts the bytes
 *   (the physical limit on this machine).
 *
 * Each run is its own process (so peak RSS is the client's own); runs are interleaved; the report
 * gives medians of wall time and CPU time (retrieval only, after login), peak RSS and RSS growth,
 * the ratios, and the API each contender used.
 *
 *   node --import tsx bench/pop3.ts [--runs 7] [--count 1000] [--size 51200] [--tls]
 *
 * Uses MAILWIRE_DOVECOT_ENV when set (a facts file from `node scripts/dovecot.mjs start`), else
 * starts a throwaway Dovecot of its own and stops it at the end.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import type { Pop3Client } from '../src/pop3/client.js';
import { benchDovecot } from './lib/dovecot.js';
import { median, perRoundMedian } from './lib/measure.js';
import { argument, workerCommand } from './lib/worker.js';

interface Facts {
  host: string;
  servername: string;
  ports: { pop3: number; pop3s: number };
  users: Record<string, { username: string; password: string; maildir: string }>;
  ca: string;
  configPath: string;
  mailUid: number;
  mailGid: number;
  binaries: { doveadm: string };
  factsPath: string;
}

interface WorkerResult {
  client: string;
  /** How the contender read the messages. */
  api: string;
  ms: number;
  /** The process's peak RSS (includes Node and the TypeScript loader). */
  peakRssMiB: number;
  /** The highest RSS sampled during retrieval, minus the RSS just before it. */
  rssGrowthMiB: number;
  /** CPU time (user + system) of the client process during retrieval. */
  cpuMs: number;
  messages: number;
  bytes: number;
}

/** What a contender measured around its retrieval (wall and CPU time from the first RETR to the last byte). */
interface Retrieval {
  api: string;
  ms: number;
  cpuMs: number;
  messages: number;
  bytes: number;
}

/** Starts the clocks; the returned function stops them. */
function clocks(): () => { ms: number; cpuMs: number } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  };
}

const CLIENTS = ['raw', 'mailwire', 'node-pop3'] as const;
type ClientName = (typeof CLIENTS)[number];
const USER = 'carol';

// ---------------------------------------------------------------------------------------------
// Workers: one client, one run, one JSON line on stdout
// ---------------------------------------------------------------------------------------------

async function runWorker(client: ClientName, facts: Facts, count: number, useTls: boolean): Promise<WorkerResult> {
  const user = facts.users[USER]!;
  const port = useTls ? facts.ports.pop3s : facts.ports.pop3;
  let result: Retrieval;
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  switch (client) {
    case 'mailwire':
      result = await withMailwire(facts, user, port, count, useTls);
      break;
    case 'node-pop3':
      result = await withNodePop3(facts, user, port, count, useTls);
      break;
    case 'raw':
      result = await withRawSocket(facts, user, port, count, useTls);
      break;
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { client, ...result, peakRssMiB: process.resourceUsage().maxRSS / 1024, rssGrowthMiB: (peak - baseline) / 2 ** 20 };
}

async function withMailwire(
  facts: Facts,
  user: { username: string; password: string },
  port: number,
  count: number,
  useTls: boolean,
): Promise<Retrieval> {
  const { Pop3Client } = await import('../src/pop3/client.js');
  const client = await Pop3Client.connect({
    host: facts.host,
    port,
    tls: useTls ? 'implicit' : 'none',
    allowCleartext: true,
    tlsOptions: { ca: facts.ca, servername: facts.servername },
    auth: { username: user.username, password: user.password, method: 'USER' },
  });
  const numbers = Array.from({ length: count }, (_, index) => index + 1);
  const stop = clocks();
  const { messages, bytes } = await countMessages(client, numbers);
  const times = stop();
  await client.close();
  return { api: 'retrieveMany + chunks({ reuse: true })', ...times, messages, bytes };
}

/**
 * The retrieval loop, in a function of its own as an application would write it (and as the raw
 * contender's callback is): V8 then optimizes this loop, not the whole worker around it.
 */
async function countMessages(client: Pop3Client, numbers: number[]): Promise<{ messages: number; bytes: number }> {
  let bytes = 0;
  let messages = 0;
  for await (const message of client.retrieveMany(numbers)) {
    // Each chunk is borrowed: valid until the next step, which is all a byte counter needs.
    for await (const chunk of message.chunks({ reuse: true })) bytes += chunk.length;
    messages++;
  }
  return { messages, bytes };
}

async function withNodePop3(
  facts: Facts,
  user: { username: string; password: string },
  port: number,
  count: number,
  useTls: boolean,
): Promise<Retrieval> {
  const { default: Pop3Command } = (await import('node-pop3')) as unknown as {
    default: new (options: Record<string, unknown>) => {
      connect(): Promise<void>;
      command(...args: (string | number)[]): Promise<unknown>;
      RETR(messageNumber: number): Promise<string>;
      QUIT(): Promise<string>;
    };
  };
  const pop3 = new Pop3Command({
    host: facts.host,
    port,
    user: user.username,
    password: user.password,
    tls: useTls,
    servername: facts.servername,
    tlsOptions: { ca: facts.ca },
  });
  await pop3.connect();
  await pop3.command('USER', user.username);
  await pop3.command('PASS', user.password);
  const stop = clocks();
  let bytes = 0;
  let messages = 0;
  for (let number = 1; number <= count; number++) {
    const text = await pop3.RETR(number);
    bytes += Buffer.byteLength(text, 'latin1');
    messages++;
  }
  const times = stop();
  await pop3.QUIT();
  return { api: 'RETR(n) one at a time (string)', ...times, messages, bytes };
}

/** A minimal client: log in line by line, then write every RETR at once and count terminators. */
async function withRawSocket(
  facts: Facts,
  user: { username: string; password: string },
  port: number,
  count: number,
  useTls: boolean,
): Promise<Retrieval> {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let onChunk: (chunk: Buffer) => void = () => undefined;
  const onread = {
    buffer,
    callback: (size: number): boolean => {
      onChunk(buffer.subarray(0, size));
      return true;
    },
  };
  const socket = useTls
    ? tls.connect({ host: facts.host, port, ca: facts.ca, servername: facts.servername, onread } as tls.ConnectionOptions)
    : net.connect({ host: facts.host, port, onread });
  socket.setNoDelay(true);
  let text = '';
  const waitLine = (): Promise<string> =>
    new Promise((resolve) => {
      const check = (): boolean => {
        const lf = text.indexOf('\n');
        if (lf === -1) return false;
        const line = text.slice(0, lf);
        text = text.slice(lf + 1);
        resolve(line);
        return true;
      };
      if (check()) return;
      onChunk = (chunk) => {
        text += chunk.toString('latin1');
        check();
      };
    });
  await waitLine(); // greeting
  socket.write(`USER ${user.username}\r\n`);
  await waitLine();
  socket.write(`PASS ${user.password}\r\n`);
  await waitLine();

  const stop = clocks();
  let messages = 0;
  let bytes = 0;
  // Counts CRLF "." CRLF in each chunk, and across each boundary through an 8-byte window (the
  // last 4 bytes before it and the first 4 after it), allocating nothing per chunk.
  const TERMINATOR = Buffer.from('\r\n.\r\n');
  const window = Buffer.alloc(8);
  let tail = 0; // valid bytes at the end of the previous chunk kept in window[0..4)
  const done = new Promise<void>((resolve) => {
    onChunk = (chunk) => {
      bytes += chunk.length;
      if (tail > 0) {
        const head = Math.min(4, chunk.length);
        chunk.copy(window, 4, 0, head);
        const seam = window.subarray(4 - tail, 4 + head);
        const at = seam.indexOf(TERMINATOR);
        // Only a terminator that straddles the boundary counts here.
        if (at !== -1 && at < tail && at + 5 > tail) messages++;
      }
      for (let at = chunk.indexOf(TERMINATOR); at !== -1; at = chunk.indexOf(TERMINATOR, at + 5)) messages++;
      tail = Math.min(4, chunk.length);
      chunk.copy(window, 4 - tail, chunk.length - tail);
      if (messages >= count) resolve();
    };
  });
  let commands = '';
  for (let number = 1; number <= count; number++) commands += `RETR ${number}\r\n`;
  socket.write(commands);
  await done;
  const times = stop();
  socket.end('QUIT\r\n');
  return { api: 'socket onread, RETR 1..n in one write, bytes counted', ...times, messages, bytes };
}

// ---------------------------------------------------------------------------------------------
// The parent: Dovecot, seeding, interleaved runs, report
// ---------------------------------------------------------------------------------------------

function seed(facts: Facts, count: number, size: number): number {
  const user = facts.users[USER]!;
  rmSync(user.maildir, { recursive: true, force: true });
  for (const dir of [user.maildir, ...['cur', 'new', 'tmp'].map((sub) => path.join(user.maildir, sub))]) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, facts.mailUid, facts.mailGid);
  }
  let total = 0;
  for (let index = 1; index <= count; index++) {
    const message = benchMessage(index, size);
    total += message.length;
    const file = path.join(user.maildir, 'cur', `${1_700_000_000 + index}.M${index}P1.bench,S=${message.length}:2,S`);
    writeFileSync(file, message);
    chownSync(file, facts.mailUid, facts.mailGid);
  }
  // Index now, so that no run pays for the first scan.
  execFileSync(facts.binaries.doveadm, ['-c', facts.configPath, 'force-resync', '-u', user.username, 'INBOX']);
  execFileSync(facts.binaries.doveadm, ['-c', facts.configPath, 'mailbox', 'status', '-u', user.username, 'messages', 'INBOX']);
  return total;
}

/** `size` bytes: a header, then 78-character ASCII lines with CRLF; never a line starting with ".". */
function benchMessage(index: number, size: number): Buffer {
  const header =
    `From: Bench <bench@mailwire.test>\r\nTo: Carol <carol@mailwire.test>\r\nSubject: Bench message ${index}\r\n` +
    `Message-ID: <bench.${index}@mailwire.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n`;
  const lines: string[] = [header];
  let length = header.length;
  let line = 0;
  while (length < size) {
    const remaining = size - length;
    const width = Math.min(80, remaining);
    const content = `${String(line++).padStart(6, '0')} ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3)}`.slice(0, Math.max(0, width - 2));
    lines.push(`${content.padEnd(width - 2, 'x')}\r\n`);
    length += width;
  }
  return Buffer.from(lines.join(''), 'latin1');
}

/** A worker that takes longer than this is killed and counted as hung (node-pop3 over TLS hangs). */
const WORKER_TIMEOUT_MS = 60_000;

function runChild(
  command: string[],
  client: ClientName,
  factsPath: string,
  count: number,
  useTls: boolean,
): Promise<WorkerResult | 'hung'> {
  const args = [...command, '--worker', client, '--facts', factsPath, '--count', String(count), ...(useTls ? ['--tls'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, WORKER_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (hung) {
        resolve('hung');
        return;
      }
      if (code !== 0) {
        reject(new Error(`${client} worker exited with ${String(code)}: ${output}`));
        return;
      }
      resolve(JSON.parse(output.trim().split('\n').pop() ?? '{}') as WorkerResult);
    });
  });
}

async function main(): Promise<void> {
  const runs = Number(argument('--runs', '7'));
  const count = Number(argument('--count', '1000'));
  const size = Number(argument('--size', String(50 * 1024)));
  const useTls = process.argv.includes('--tls');

  const { facts, stop } = await benchDovecot<Facts>('pop3');

  const workDir = mkdtempSync(path.join(tmpdir(), 'mailwire-bench-worker-'));
  try {
    const command = await workerCommand(import.meta.url, workDir, ['node-pop3']);
    const expectedBytes = seed(facts, count, size);
    console.error(`seeded ${count} messages, ${(expectedBytes / 2 ** 20).toFixed(1)} MiB; ${runs} interleaved runs${useTls ? ' over implicit TLS' : ''}`);
    const results = new Map<ClientName, WorkerResult[]>(CLIENTS.map((client) => [client, []]));
    const hung = new Set<ClientName>();
    // One warm-up round (page cache, Dovecot's index), not counted.
    for (const client of CLIENTS) {
      if ((await runChild(command, client, facts.factsPath, count, useTls)) === 'hung') hung.add(client);
    }
    for (let run = 0; run < runs; run++) {
      const order = CLIENTS.map((_, index) => CLIENTS[(index + run) % CLIENTS.length]!);
      for (const client of order) {
        if (hung.has(client)) continue;
        const result = await runChild(command, client, facts.factsPath, count, useTls);
        if (result === 'hung') {
          hung.add(client);
          continue;
        }
        if (result.messages !== count) throw new Error(`${client} retrieved ${result.messages} messages, expected ${count}`);
        // mailwire yields the exact message bytes; the raw client counts the framing too.
        if (client === 'mailwire' && result.bytes !== expectedBytes) {
          throw new Error(`mailwire retrieved ${result.bytes} bytes, expected ${expectedBytes}`);
        }
        results.get(client)!.push(result);
      }
    }

    const summary = CLIENTS.map((client) => {
      const list = results.get(client)!;
      if (hung.has(client) || list.length === 0) return { client, api: '-', ms: NaN, cpuMs: NaN, rss: NaN, growth: NaN };
      return {
        client,
        api: list[0]!.api,
        ms: median(list.map((r) => r.ms)),
        cpuMs: median(list.map((r) => r.cpuMs)),
        rss: median(list.map((r) => r.peakRssMiB)),
        growth: median(list.map((r) => r.rssGrowthMiB)),
      };
    });
    const by = (client: ClientName): { ms: number; cpuMs: number } => summary.find((row) => row.client === client)!;
    const raw = by('raw');
    const mailwire = by('mailwire');
    const nodePop3 = by('node-pop3');
    console.log(`\nPOP3: RETR 1..${count}, ${(size / 1024).toFixed(0)} KiB each, ${(expectedBytes / 2 ** 20).toFixed(1)} MiB, Dovecot${useTls ? ', implicit TLS' : ''}; median of ${runs}`);
    console.log('| client | API | wall time | time vs raw | CPU time | CPU vs raw | peak RSS (process) | RSS growth during retrieval |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const row of summary) {
      if (Number.isNaN(row.ms)) {
        console.log(`| ${row.client} | ${row.api} | did not finish in ${WORKER_TIMEOUT_MS / 1000} s (hung) | - | - | - | - | - |`);
        continue;
      }
      console.log(
        `| ${row.client} | ${row.api} | ${(row.ms / 1000).toFixed(3)} s | ${(row.ms / raw.ms).toFixed(2)}x | ${(row.cpuMs / 1000).toFixed(3)} s | ${(row.cpuMs / raw.cpuMs).toFixed(2)}x | ${row.rss.toFixed(0)} MiB | +${row.growth.toFixed(1)} MiB |`,
      );
    }
    if (!Number.isNaN(nodePop3.ms)) {
      const speedup = nodePop3.ms / mailwire.ms;
      console.log(`\nmailwire is ${speedup.toFixed(2)}x faster than node-pop3 (goal >= 3x: ${speedup >= 3 ? 'met' : 'NOT met'}; node-pop3 takes ${(nodePop3.ms / raw.ms).toFixed(2)}x raw, so 3x needs mailwire at ${(nodePop3.ms / raw.ms / 3).toFixed(2)}x raw)`);
    } else {
      console.log('\nnode-pop3 did not finish: no speed ratio');
    }
    const overRaw = mailwire.ms / raw.ms;
    const pairs = perRoundMedian(results.get('mailwire')!.map((result) => result.ms), results.get('raw')!.map((result) => result.ms));
    console.log(
      `mailwire takes ${overRaw.toFixed(2)}x the raw socket's time, ${pairs.toFixed(2)}x as the median of per-round ratios (goal <= 1.3x: ${overRaw <= 1.3 ? 'met' : 'NOT met'})`,
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    await stop();
  }
}

if (process.argv.includes('--worker')) {
  const client = argument('--worker', 'raw') as ClientName;
  const facts = JSON.parse(readFileSync(argument('--facts', ''), 'utf8')) as Facts;
  runWorker(client, facts, Number(argument('--count', '1000')), process.argv.includes('--tls')).then(
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
