/**
 * Self-signed certificates for tests, made with the `openssl` command line tool (present on
 * Debian and on CI) so that no dependency is needed and no key is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, PEM-encoded; `cert` doubles as the CA to trust. */
export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

const cache = new Map<string, TestCertificate>();

/**
 * Returns a self-signed ECDSA P-256 certificate valid for two days, with `CN=<first name>` and the
 * given subjectAltName entries (default `DNS:localhost,IP:127.0.0.1`). Cached per entry list.
 */
export function testCertificate(altNames = 'DNS:localhost,IP:127.0.0.1'): TestCertificate {
  const cached = cache.get(altNames);
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'mailwire-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const commonName = altNames.split(',')[0]?.replace(/^[A-Z]+:/, '') ?? 'localhost';
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-days', '2', '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=${altNames}`,
        '-keyout', keyPath, '-out', certPath,
      ],
      { stdio: 'pipe' },
    );
    const result = { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
    cache.set(altNames, result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
