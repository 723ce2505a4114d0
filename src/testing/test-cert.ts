/**
 * A bundled certificate for replay servers behind TLS. TEST-ONLY: its private key is public (it is
 * in this file and in the npm package), so it protects nothing; never use it for a real service.
 *
 * Self-signed, ECDSA P-256, subject `CN=localhost`, subjectAltName `DNS:localhost`,
 * `IP:127.0.0.1`, `IP:::1`, valid from 2026-11-27 to 2056-11-27. Made once with:
 *
 * ```sh
 * openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem \
 *   -days 10958 -subj "/CN=localhost" \
 *   -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" -addext "basicConstraints=critical,CA:FALSE" \
 *   -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=serverAuth"
 * ```
 *
 * @packageDocumentation
 */

/**
 * The PEM certificate of the replay server's TLS listener. A client trusts it by passing it as
 * `tlsOptions.ca` (with `servername: 'localhost'` when it connects to `127.0.0.1`).
 *
 * Test-only: its private key ({@link TEST_KEY}) is public.
 */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIB0TCCAXegAwIBAgIUMojrHfmZZYFciJYX2WFyus/p2g4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNzE3NDUyMloYDzIwNTYxMTI3
MTc0NTIyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARe1TwUHwHQUX1nMNjpf3ZN5Lhesn6sa/+Zkpui2zaC7uTehCfOUNLs
SIV1d9yJqd8b3ikFQPoqRcCkNknzbZc5o4GkMIGhMB0GA1UdDgQWBBQm80sL5qz7
gUlaMH5t/7GstpyR8DAfBgNVHSMEGDAWgBQm80sL5qz7gUlaMH5t/7GstpyR8DAs
BgNVHREEJTAjgglsb2NhbGhvc3SHBH8AAAGHEAAAAAAAAAAAAAAAAAAAAAEwDAYD
VR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwEw
CgYIKoZIzj0EAwIDSAAwRQIhAJgbK4R5rvt9jcg2uRfCAMnpXpSZF0aK4HkRfQQO
/jyHAiBHdtVwL4vnYK66whpCp6xEpkuIHGFR9hoq3pd7A5H52g==
-----END CERTIFICATE-----
`;

/**
 * The PEM private key of {@link TEST_CERT}. Test-only: published on purpose, it secures nothing.
 */
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgu9tatjXIyYJ1JusS
Wt4PG+Nxtxay0UTaOutDLefBGfyhRANCAARe1TwUHwHQUX1nMNjpf3ZN5Lhesn6s
a/+Zkpui2zaC7uTehCfOUNLsSIV1d9yJqd8b3ikFQPoqRcCkNknzbZc5
-----END PRIVATE KEY-----
`;
