/**
 * MD5, which APOP (RFC 1939) and CRAM-MD5 (RFC 2195) need and which a Node.js build in FIPS mode
 * refuses to compute: both ask {@link md5Available} before they hash, so that such a build gets an
 * UnsupportedError naming the method, and automatic method choice skips them, instead of the
 * crypto layer's own error.
 *
 * @internal
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';

let probe: boolean | undefined;

/**
 * Whether this Node.js computes MD5 (a build in FIPS mode does not). Probed once.
 *
 * @internal
 */
export function md5Available(): boolean {
  if (probe === undefined) {
    try {
      createHash('md5').update('probe').digest();
      probe = true;
    } catch {
      probe = false;
    }
  }
  return probe;
}
