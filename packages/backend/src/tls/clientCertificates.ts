import type { Config } from '@backstage/config';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket, type PeerCertificate } from 'node:tls';

/** The external-access type that maps client certificates to subjects. */
export const CLIENT_CERTIFICATE_ACCESS_TYPE = 'client-certificate';

/**
 * A name a certificate carries: its subject's common name (`CN=inframind`) or one of its
 * subject alternative names (`URI:spiffe://example.org/inframind`, `DNS:inframind.example.org`).
 */
export interface CertificateName {
  kind: 'CN' | 'URI' | 'DNS';
  value: string;
}

/** `CN=...`, `URI:...` or `DNS:...`, as `backend.auth.externalAccess` writes a certificate. */
export function parseCertificateName(text: string): CertificateName {
  const cn = /^CN=(.+)$/.exec(text);
  if (cn) return { kind: 'CN', value: cn[1] };
  const san = /^(URI|DNS):(.+)$/.exec(text);
  if (san) return { kind: san[1] as 'URI' | 'DNS', value: san[2] };
  throw new Error(
    `Invalid client certificate name '${text}', expected CN=<common name>, URI:<uri> or DNS:<name>`,
  );
}

function sameName(a: CertificateName, b: CertificateName): boolean {
  if (a.kind !== b.kind) return false;
  // Host names compare without case; common names and URIs exactly.
  return a.kind === 'DNS'
    ? a.value.toLowerCase() === b.value.toLowerCase()
    : a.value === b.value;
}

/**
 * Node's `subjectaltname` string (`DNS:a, URI:spiffe://b, IP Address:127.0.0.1`) as names;
 * values Node had to quote (a comma or quote inside) are JSON strings.
 */
export function parseSubjectAltName(text: string): CertificateName[] {
  const names: CertificateName[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) break;
    const kind = text.slice(at, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') {
        end += text[end] === '\\' ? 2 : 1;
      }
      end += 1;
      value = JSON.parse(text.slice(colon + 1, end));
    } else {
      const comma = text.indexOf(', ', colon);
      end = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    if (kind === 'URI' || kind === 'DNS') names.push({ kind, value });
    at = end + 2;
  }
  return names;
}

/** Every name of a verified peer certificate: its common names, then its URI and DNS names. */
export function namesOf(peer: PeerCertificate): CertificateName[] {
  const cn = peer.subject?.CN as string | string[] | undefined;
  const commonNames = cn === undefined ? [] : [cn].flat();
  return [
    ...commonNames.map(value => ({ kind: 'CN' as const, value })),
    ...parseSubjectAltName(peer.subjectaltname ?? ''),
  ];
}

/** One `backend.auth.externalAccess` entry of type `client-certificate`. */
export interface ClientCertificateMapping {
  /** As written in config, e.g. `CN=inframind`. */
  certificate: string;
  /** The principal's subject, e.g. `external:inframind`. */
  subject: string;
}

export function readClientCertificateMapping(
  options: Config,
): ClientCertificateMapping {
  const certificate = options.getString('certificate');
  parseCertificateName(certificate);
  const subject = options.getString('subject');
  if (!/^\S+$/.test(subject)) {
    throw new Error('Illegal subject, must be a set of non-space characters');
  }
  return { certificate, subject };
}

const TOKEN_PREFIX = 'sentinel-client-certificate';
const TOKEN_LIFETIME_MS = 60_000;

/**
 * Turns a request that arrived with a verified client certificate into a token that Backstage's
 * auth service accepts through the `client-certificate` external-access type, so that the
 * caller becomes the same principal, with the same access restrictions, as it would with a
 * token. The token is made and checked in this process only (an HMAC under a key drawn at
 * start) and never leaves it.
 */
export class ClientCertificateIdentities {
  readonly #mappings: Array<
    ClientCertificateMapping & { name: CertificateName }
  >;
  readonly #key: Buffer;
  readonly #now: () => number;

  constructor(
    mappings: ClientCertificateMapping[],
    options: { now?: () => number } = {},
  ) {
    this.#mappings = mappings.map(mapping => ({
      ...mapping,
      name: parseCertificateName(mapping.certificate),
    }));
    this.#key = randomBytes(32);
    this.#now = options.now ?? Date.now;
  }

  /** The `client-certificate` entries of `backend.auth.externalAccess`. */
  static fromConfig(config: Config): ClientCertificateIdentities {
    const entries = config.getOptionalConfigArray(
      'backend.auth.externalAccess',
    );
    return new ClientCertificateIdentities(
      (entries ?? [])
        .filter(
          entry => entry.getString('type') === CLIENT_CERTIFICATE_ACCESS_TYPE,
        )
        .map(entry => readClientCertificateMapping(entry.getConfig('options'))),
    );
  }

  /**
   * The token for a request whose TLS connection presented a verified certificate that a
   * mapping names; undefined for any other request (plain HTTP, no or an unmapped certificate).
   */
  tokenFor(req: IncomingMessage): string | undefined {
    const socket = req.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
    const names = namesOf(socket.getPeerCertificate());
    const mapping = this.#mappings.find(m =>
      names.some(name => sameName(name, m.name)),
    );
    if (!mapping) return undefined;
    const payload = Buffer.from(
      JSON.stringify({
        c: mapping.certificate,
        s: mapping.subject,
        e: this.#now() + TOKEN_LIFETIME_MS,
      }),
    ).toString('base64url');
    return `${TOKEN_PREFIX}~${payload}~${this.#sign(payload)}`;
  }

  /** The mapping a token was made for, if this process made it and it has not expired. */
  verify(token: string): ClientCertificateMapping | undefined {
    const [prefix, payload, mac, ...rest] = token.split('~');
    if (prefix !== TOKEN_PREFIX || !payload || !mac || rest.length) {
      return undefined;
    }
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return undefined;
    }
    const { c, s, e } = JSON.parse(
      Buffer.from(payload, 'base64url').toString('utf8'),
    );
    if (typeof e !== 'number' || e < this.#now()) return undefined;
    return { certificate: c, subject: s };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}
