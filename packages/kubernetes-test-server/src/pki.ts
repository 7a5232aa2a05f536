import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function openssl(cwd: string, args: string[]) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** OpenSSL's UTCTime, e.g. 250101120000Z. */
function utcTime(date: Date): string {
  return `${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`;
}

/**
 * A certificate `TestCa.issue` made, with its files.
 *
 * @public
 */
export interface IssuedCertificate {
  /** The subject's common name. */
  cn: string;
  /** The private key's PEM file. */
  keyFile: string;
  /** The certificate's PEM file. */
  certFile: string;
  /** The private key (PEM). */
  key: string;
  /** The certificate (PEM). */
  cert: string;
}

/**
 * A certificate authority made with the openssl CLI in a temporary folder, with OpenSSL's own
 * `ca` database, so certificates can have any validity window and be revoked into a CRL.
 *
 * @public
 */
export class TestCa {
  /** Its folder: key, certificate, OpenSSL's database and what it issued. */
  readonly dir: string;
  /** The CA certificate's PEM file. */
  readonly certFile: string;
  /** The CA certificate (PEM). */
  readonly cert: string;
  /** Its common name. */
  readonly name: string;

  constructor(root: string, name: string) {
    this.name = name;
    this.dir = join(root, name);
    mkdirSync(join(this.dir, 'issued'), { recursive: true });
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'crlnumber'), '01\n');
    writeFileSync(
      join(this.dir, 'ca.cnf'),
      [
        '[ca]',
        'default_ca = local',
        '[local]',
        `dir = ${this.dir}`,
        'database = $dir/index.txt',
        'new_certs_dir = $dir/issued',
        'serial = $dir/serial',
        'crlnumber = $dir/crlnumber',
        'certificate = $dir/ca.crt',
        'private_key = $dir/ca.key',
        'default_md = sha256',
        'default_crl_days = 2',
        'policy = any',
        'unique_subject = no',
        'copy_extensions = none',
        '[any]',
        'commonName = supplied',
        'organizationName = optional',
        '',
      ].join('\n'),
    );
    openssl(this.dir, [
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    openssl(this.dir, ['rand', '-hex', '-out', 'serial', '8']);
    this.certFile = join(this.dir, 'ca.crt');
    this.cert = readFileSync(this.certFile, 'utf8');
  }

  /**
   * A leaf certificate for `cn`: a server's (serverAuth, its SANs) or a client's (clientAuth),
   * valid from `notBefore` to `notAfter` (default: an hour ago to a day ahead).
   */
  issue(
    cn: string,
    options: {
      usage?: 'server' | 'client';
      subjectAltNames?: string[];
      notBefore?: Date;
      notAfter?: Date;
      /** A second certificate for the same name, in files of its own. */
      label?: string;
      /** The subject's O (e.g. a Kubernetes group such as system:masters). */
      organization?: string;
      /** The leaf's key: P-256 (default) or RSA 2048, which also allows RSA key exchange. */
      key?: 'ec' | 'rsa';
    } = {},
  ): IssuedCertificate {
    const base = `${cn}${options.label ? `-${options.label}` : ''}`.replace(
      /[^a-zA-Z0-9.-]/g,
      '_',
    );
    const ext = [
      '[leaf]',
      'basicConstraints = critical,CA:FALSE',
      `keyUsage = critical,digitalSignature${
        options.key === 'rsa' ? ',keyEncipherment' : ''
      }`,
      `extendedKeyUsage = ${
        options.usage === 'server' ? 'serverAuth' : 'clientAuth'
      }`,
      ...(options.subjectAltNames?.length
        ? [`subjectAltName = ${options.subjectAltNames.join(',')}`]
        : []),
      '',
    ].join('\n');
    writeFileSync(join(this.dir, `${base}.ext`), ext);
    openssl(this.dir, [
      'req',
      '-new',
      '-newkey',
      ...(options.key === 'rsa'
        ? ['rsa:2048']
        : ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']),
      '-nodes',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${cn}${options.organization ? `/O=${options.organization}` : ''}`,
    ]);
    const now = Date.now();
    openssl(this.dir, [
      'ca',
      '-batch',
      '-notext',
      '-config',
      'ca.cnf',
      '-in',
      `${base}.csr`,
      '-out',
      `${base}.crt`,
      '-startdate',
      utcTime(options.notBefore ?? new Date(now - 3_600_000)),
      '-enddate',
      utcTime(options.notAfter ?? new Date(now + 86_400_000)),
      '-extfile',
      `${base}.ext`,
      '-extensions',
      'leaf',
    ]);
    const certFile = join(this.dir, `${base}.crt`);
    const keyFile = join(this.dir, `${base}.key`);
    return {
      cn,
      certFile,
      keyFile,
      cert: readFileSync(certFile, 'utf8'),
      key: readFileSync(keyFile, 'utf8'),
    };
  }

  /** Marks a certificate it issued as revoked, for the next `crl()`. */
  revoke(certificate: IssuedCertificate): void {
    openssl(this.dir, [
      'ca',
      '-config',
      'ca.cnf',
      '-revoke',
      certificate.certFile,
    ]);
  }

  /** The CA's current CRL (PEM), listing what was revoked so far. */
  crl(): string {
    openssl(this.dir, ['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'ca.crl']);
    return readFileSync(join(this.dir, 'ca.crl'), 'utf8');
  }
}

/**
 * A temporary folder for CAs and the server's TLS files; `remove()` deletes it.
 *
 * @public
 */
export class TestPki {
  /** The temporary folder. */
  readonly root = mkdtempSync(join(tmpdir(), 'sentinel-tls-'));

  /** A new CA named `name` (its common name and folder). */
  ca(name: string): TestCa {
    return new TestCa(this.root, name);
  }

  /** A path under the temporary folder, its parent folders made. */
  path(...parts: string[]): string {
    const path = join(this.root, ...parts);
    mkdirSync(join(path, '..'), { recursive: true });
    return path;
  }

  /** Deletes the folder and everything in it. */
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
