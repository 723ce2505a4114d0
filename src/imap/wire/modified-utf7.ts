/**
 * Modified UTF-7 for IMAP mailbox names (RFC 3501 section 5.1.3, kept by RFC 9051 for servers
 * without UTF8=ACCEPT).
 *
 * Printable US-ASCII except `&` stands for itself; `&` is written `&-`; every other run of
 * characters is UTF-16BE, encoded in modified base64 (`,` instead of `/`, no padding) between
 * `&` and `-`.
 *
 * @packageDocumentation
 */

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const BASE64_VALUES: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

function isDirectlyPrintable(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

/**
 * Encodes a mailbox name to modified UTF-7.
 *
 * Characters outside the BMP are encoded through their UTF-16 surrogate pairs, as RFC 3501 asks.
 *
 * @example
 * ```ts
 * encodeModifiedUtf7('Entwürfe & Co'); // 'Entw&APw-rfe &- Co'
 * ```
 * @param name - the mailbox name as a JavaScript string.
 * @returns the name as sent on the wire.
 */
export function encodeModifiedUtf7(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const code = name.charCodeAt(i);
    if (code === 0x26) {
      out += '&-';
      i++;
    } else if (isDirectlyPrintable(code)) {
      out += name.charAt(i);
      i++;
    } else {
      let end = i;
      while (end < name.length && !isDirectlyPrintable(name.charCodeAt(end))) end++;
      out += '&' + encodeUtf16Run(name, i, end) + '-';
      i = end;
    }
  }
  return out;
}

function encodeUtf16Run(name: string, start: number, end: number): string {
  let out = '';
  let bits = 0;
  let bitCount = 0;
  for (let i = start; i < end; i++) {
    bits = ((bits << 16) | name.charCodeAt(i)) & 0xffffff;
    bitCount += 16;
    while (bitCount >= 6) {
      bitCount -= 6;
      out += BASE64_ALPHABET.charAt((bits >> bitCount) & 0x3f);
    }
  }
  if (bitCount > 0) out += BASE64_ALPHABET.charAt((bits << (6 - bitCount)) & 0x3f);
  return out;
}

/**
 * Decodes a modified UTF-7 mailbox name.
 *
 * Lenient: a `&` sequence that is not valid modified base64 (or that decodes to an odd number of
 * bytes, or to a printable US-ASCII character, which stands for itself and must not be encoded)
 * is kept as it was sent, so a name a server produced badly is still shown. Encoding such a
 * decoded name does not give the server's form back; the client remembers names LIST and LSUB
 * gave in such a form and sends them as listed.
 *
 * @example
 * ```ts
 * decodeModifiedUtf7('Entw&APw-rfe &- Co'); // 'Entwürfe & Co'
 * ```
 * @param wire - the name as received.
 * @returns the decoded name.
 */
export function decodeModifiedUtf7(wire: string): string {
  let amp = wire.indexOf('&');
  if (amp === -1) return wire;
  let out = '';
  let copied = 0;
  while (amp !== -1) {
    const dash = wire.indexOf('-', amp + 1);
    if (dash === -1) break;
    out += wire.slice(copied, amp);
    if (dash === amp + 1) {
      out += '&';
    } else {
      const decoded = decodeUtf16Run(wire, amp + 1, dash);
      out += decoded ?? wire.slice(amp, dash + 1);
    }
    copied = dash + 1;
    amp = wire.indexOf('&', copied);
  }
  return out + wire.slice(copied);
}

function decodeUtf16Run(wire: string, start: number, end: number): string | null {
  let bits = 0;
  let bitCount = 0;
  let out = '';
  for (let i = start; i < end; i++) {
    const code = wire.charCodeAt(i);
    const value = code < 128 ? BASE64_VALUES[code]! : -1;
    if (value < 0) return null;
    bits = ((bits << 6) | value) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 16) {
      bitCount -= 16;
      const unit = (bits >> bitCount) & 0xffff;
      // RFC 3501 section 5.1.3: base64 "MUST NOT be used to represent any printing US-ASCII
      // character which can represent itself". Decoded, `a&AC8-b` would pose as `a/b`.
      if (isDirectlyPrintable(unit)) return null;
      out += String.fromCharCode(unit);
    }
  }
  // Leftover bits must be zero padding shorter than one base64 digit's worth of a unit.
  if (bitCount >= 6 || (bits & ((1 << bitCount) - 1)) !== 0 || out.length === 0) return null;
  return out;
}

/**
 * True for the name INBOX in any ASCII case (RFC 9051 section 5.1). Not `toUpperCase()`: the
 * Turkish dotless `ı` upper-cases to `I`, and a mailbox named `ınbox` is not the INBOX.
 */
export function isInbox(name: string): boolean {
  return name.length === 5 && /^inbox$/i.test(name);
}
