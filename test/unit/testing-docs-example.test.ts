// The example of docs/testing.md, run as part of the suite: the test below checks that the page
// shows this code verbatim (between the docs:start and docs:end markers, with the package's import
// paths in place of the repository's).
import path from 'node:path';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { Pop3Client } from '../../src/pop3/index.js';
import { loadTranscript, replayConnector } from '../../src/testing/index.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/pop3/subjects.txt');

// docs:start
// The code under test: yours. Here, a function that lists the subjects in a POP3 mailbox.
async function subjects(client: Pop3Client): Promise<string[]> {
  const result: string[] = [];
  for (const { number } of await client.list()) {
    const headers = Buffer.from(await (await client.top(number, 0)).bytes()).toString('utf8');
    result.push(/^Subject: (.*)$/im.exec(headers)?.[1] ?? '');
  }
  return result;
}

describe('subjects()', () => {
  it('reads every subject, however TCP splits the data', async () => {
    for (const chunking of ['recorded', 'byte', { seed: 42 }] as const) {
      const replay = replayConnector(await loadTranscript(FIXTURE), { chunking });
      // The host and password are not used: the replay opens no socket, and the recorded
      // password was never written to the transcript.
      const client = await Pop3Client.connect({
        host: 'pop.example.com',
        tls: 'implicit',
        auth: { username: 'carol', password: 'any', method: 'PLAIN' },
        connector: replay,
      });
      expect(await subjects(client)).toEqual([
        '=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=',
        'Lines starting with dots',
        'No final CRLF',
      ]);
      await client.close();
      replay.assertDone(); // throws if the code did less than the recording (or the fixture is stale)
    }
  });
});
// docs:end

describe('docs/testing.md', () => {
  it('shows the example above verbatim', () => {
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const example = source.slice(source.indexOf('// docs:start\n') + 14, source.indexOf('// docs:end'));
    const page = readFileSync(path.resolve(import.meta.dirname, '../../docs/testing.md'), 'utf8');
    expect(page).toContain(example);
  });
});
