/**
 * A throw-away PKI for TLS tests, made with the `openssl` command: a CA and one server
 * certificate (EC P-256) whose subjectAltName lists `names` (IP literals become `IP:` entries,
 * the rest `DNS:`). Unit and interop tests share it.
 *
 *   const pki = makeTestPki(dir, { names: ['127.0.0.1', 'lab.test'] });
 *   // pki.caFile to trust, pki.certFile + pki.keyFile to serve
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface TestPki {
  /** PEM of the CA certificate (trust this one). */
  caFile: string;
  /** PEM of the server certificate, signed by the CA. */
  certFile: string;
  /** PEM of the server's private key (unencrypted). */
  keyFile: string;
  /** The same three as PEM text. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface TestPkiOptions {
  /** subjectAltName entries of the server certificate; the first is also its CN. */
  names: string[];
  /** Issue a server certificate that expired already (notAfter before now). */
  expired?: boolean;
  /** Make the server certificate self-signed (no CA: `caFile` is then the certificate itself). */
  selfSigned?: boolean;
  /** CA common name (default "Appel Test CA"). */
  caName?: string;
  /** File name prefix inside `dir`, to keep several PKIs in one folder (default "test"). */
  prefix?: string;
}

export function makeTestPki(dir: string, options: TestPkiOptions): TestPki {
  mkdirSync(dir, { recursive: true });
  const prefix = options.prefix ?? 'test';
  const file = (name: string) => join(dir, `${prefix}-${name}`);
  const caKey = file('ca.key');
  const caFile = file('ca.pem');
  const keyFile = file('server.key');
  const csr = file('server.csr');
  const certFile = file('server.pem');
  const ext = file('server.ext');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

  const san = options.names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  if (options.selfSigned) {
    run(['req', '-x509', ...ec, '-keyout', keyFile, '-out', certFile, '-days', '30',
      '-subj', `/CN=${options.names[0] ?? 'localhost'}`, '-addext', `subjectAltName=${san}`]);
    const pem = readFileSync(certFile, 'utf8');
    return { caFile: certFile, certFile, keyFile, caPem: pem, certPem: pem, keyPem: readFileSync(keyFile, 'utf8') };
  }
  run(['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '30',
    '-subj', `/CN=${options.caName ?? 'Appel Test CA'}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${options.names[0] ?? 'localhost'}`]);
  writeFileSync(ext, [
    `subjectAltName=${san}`,
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth,clientAuth',
    '',
  ].join('\n'));
  // `-days -1` makes notAfter a day before notBefore (now): an expired certificate.
  run(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile,
    '-days', options.expired ? '-1' : '30', '-extfile', ext]);

  return {
    caFile,
    certFile,
    keyFile,
    caPem: readFileSync(caFile, 'utf8'),
    certPem: readFileSync(certFile, 'utf8'),
    keyPem: readFileSync(keyFile, 'utf8'),
  };
}
