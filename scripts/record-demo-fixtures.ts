// Records the demo's fixtures: runs the demo scenario (src/demo/scenario.ts) live against a fresh
// throwaway Dovecot (scripts/dovecot.mjs), each connection role through mailwire's
// recordingConnector, into fixtures/demo/<protocol>-<role>.txt, then embeds the transcripts in
// src/demo/fixtures.ts so that the `mailwire demo` bin replays them from the npm tarball.
//
//   node --import tsx scripts/record-demo-fixtures.ts
//
// Logins use replayable mechanisms (IMAP AUTHENTICATE PLAIN, POP3 USER/PASS; SCRAM's server proof
// is redacted and could not be replayed). Passwords never reach the files.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConnector, type Connector } from '../src/common/connector.js';
import { renderReport } from '../src/demo/render.js';
import { runDemo, type DemoRole } from '../src/demo/scenario.js';
import { recordingConnector } from '../src/testing/record.js';

interface Facts {
  readonly host: string;
  readonly dovecotVersion: string;
  readonly ports: { readonly imaps: number; readonly pop3s: number };
  readonly users: Readonly<Record<string, { readonly password: string }>>;
  readonly ca: string;
}
interface DovecotScript {
  startDovecot(options?: { parentDir?: string }): Promise<Facts>;
  stopDovecot(target: Facts): Promise<void>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'fixtures', 'demo');
const MODULE = path.join(ROOT, 'src', 'demo', 'fixtures.ts');
const USER = 'carol';
const RUN_ID = 'recorded';

const script = (await import(new URL('./dovecot.mjs', import.meta.url).href)) as DovecotScript;
const facts = await script.startDovecot();
try {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const recorders = new Map<string, Connector>();
  const connectorFor = (protocol: 'imap' | 'pop3', role: DemoRole): Connector => {
    const key = `${protocol}-${role}`;
    let recorder = recorders.get(key);
    if (recorder === undefined) {
      recorder = recordingConnector(defaultConnector, {
        protocol: role === 'setup' ? 'imap' : protocol,
        file: path.join(OUT, `${key}.txt`),
        server: `Dovecot ${facts.dovecotVersion}`,
        fields: { demo: `${protocol} ${role}`, 'run-id': RUN_ID },
        comment: `The mailwire demo (${protocol.toUpperCase()}, role "${role}"), recorded by scripts/record-demo-fixtures.ts.`,
      });
      recorders.set(key, recorder);
    }
    return recorder;
  };
  const reports = await runDemo({
    imapUrl: `imaps://${USER}@${facts.host}:${facts.ports.imaps}`,
    pop3Url: `pop3s://${USER}@${facts.host}:${facts.ports.pop3s}`,
    runImap: true,
    password: facts.users[USER]!.password,
    tlsOptions: { ca: facts.ca },
    imapMethod: 'PLAIN',
    pop3Method: 'USER',
    connectorFor,
    runId: RUN_ID,
    pollInterval: 500,
    live: true,
  });
  for (const report of reports) console.log(renderReport(report, 'recording'));
  const fixtures: Record<string, string> = {};
  for (const key of [...recorders.keys()].sort()) fixtures[key] = readFileSync(path.join(OUT, `${key}.txt`), 'utf8');
  const info = { recordedAt: new Date().toISOString(), server: `Dovecot ${facts.dovecotVersion}`, user: USER, runId: RUN_ID };
  const body = Object.entries(fixtures)
    .map(([key, text]) => `  ${JSON.stringify(key)}: ${JSON.stringify(text)},`)
    .join('\n');
  writeFileSync(
    MODULE,
    `/**
 * The demo's embedded fixtures: written by \`scripts/record-demo-fixtures.ts\` from a live run
 * against the project's Dovecot (the same texts are in \`fixtures/demo/\`). Do not edit by hand.
 *
 * @packageDocumentation
 */

/** How the fixtures were recorded. */
export const DEMO_FIXTURE_INFO = ${JSON.stringify(info)} as const;

/** Transcript texts by \`<protocol>-<role>\`. */
export const DEMO_FIXTURES: Readonly<Record<string, string>> = {
${body}
};
`,
  );
  console.log(`wrote ${Object.keys(fixtures).length} transcripts to ${path.relative(ROOT, OUT)} and ${path.relative(ROOT, MODULE)}`);
} finally {
  await script.stopDovecot(facts);
}
