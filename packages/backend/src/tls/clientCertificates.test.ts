import type { IncomingMessage } from 'node:http';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import {
  ClientCertificateIdentities,
  namesOf,
  parseCertificateName,
  parseSubjectAltName,
} from './clientCertificates';

describe('certificate names', () => {
  it.each([
    ['CN=inframind', { kind: 'CN', value: 'inframind' }],
    [
      'URI:spiffe://example.org/ns/a/sa/b',
      { kind: 'URI', value: 'spiffe://example.org/ns/a/sa/b' },
    ],
    [
      'DNS:optimizer.example.org',
      { kind: 'DNS', value: 'optimizer.example.org' },
    ],
  ])('reads %s', (text, name) => {
    expect(parseCertificateName(text)).toEqual(name);
  });

  it.each(['inframind', 'O=acme', 'IP:10.0.0.1', 'CN='])('refuses %s', text => {
    expect(() => parseCertificateName(text)).toThrow(
      /Invalid client certificate name/,
    );
  });

  it.each([
    ['', []],
    [
      'DNS:localhost, IP Address:127.0.0.1, URI:spiffe://x/y',
      [
        { kind: 'DNS', value: 'localhost' },
        { kind: 'URI', value: 'spiffe://x/y' },
      ],
    ],
    // Node quotes a value holding a comma, so a name cannot pose as two.
    [
      'URI:"spiffe://x/a, DNS:evil", DNS:ok',
      [
        { kind: 'URI', value: 'spiffe://x/a, DNS:evil' },
        { kind: 'DNS', value: 'ok' },
      ],
    ],
  ])('reads subjectaltname %j', (text, names) => {
    expect(parseSubjectAltName(text)).toEqual(names);
  });

  it('lists every common name, then the alternative names', () => {
    expect(
      namesOf({
        subject: { CN: ['a', 'b'] },
        subjectaltname: 'URI:spiffe://x',
      } as unknown as PeerCertificate),
    ).toEqual([
      { kind: 'CN', value: 'a' },
      { kind: 'CN', value: 'b' },
      { kind: 'URI', value: 'spiffe://x' },
    ]);
  });
});

describe('ClientCertificateIdentities', () => {
  const request = (peer: Partial<PeerCertificate>, authorized = true) => {
    const socket = Object.create(TLSSocket.prototype);
    Object.assign(socket, { authorized, getPeerCertificate: () => peer });
    return { socket } as IncomingMessage;
  };
  let now = 1_000_000;
  const identities = new ClientCertificateIdentities(
    [
      { certificate: 'CN=inframind', subject: 'external:inframind' },
      { certificate: 'DNS:runbooks.example.org', subject: 'external:runbooks' },
    ],
    { now: () => now },
  );

  it('issues a token for a verified, mapped certificate that verifies to its mapping', () => {
    const token = identities.tokenFor(
      request({ subject: { CN: 'inframind' } } as any),
    );
    expect(identities.verify(token!)).toEqual({
      certificate: 'CN=inframind',
      subject: 'external:inframind',
    });
    const byDns = identities.tokenFor(
      request({
        subject: {},
        subjectaltname: 'DNS:RunBooks.example.org',
      } as any),
    );
    expect(identities.verify(byDns!)?.subject).toBe('external:runbooks');
  });

  it('issues nothing for an unmapped or unverified certificate, or a plain connection', () => {
    expect(
      identities.tokenFor(request({ subject: { CN: 'someone' } } as any)),
    ).toBeUndefined();
    expect(
      identities.tokenFor(
        request({ subject: { CN: 'inframind' } } as any, false),
      ),
    ).toBeUndefined();
    expect(
      identities.tokenFor({ socket: {} } as IncomingMessage),
    ).toBeUndefined();
  });

  it('refuses a token it did not make, one altered, and one expired', () => {
    const token = identities.tokenFor(
      request({ subject: { CN: 'inframind' } } as any),
    )!;
    const [prefix, payload, mac] = token.split('~');
    const forged = Buffer.from(
      JSON.stringify({
        c: 'CN=inframind',
        s: 'external:admin',
        e: now + 60_000,
      }),
    ).toString('base64url');
    expect(identities.verify(`${prefix}~${forged}~${mac}`)).toBeUndefined();
    expect(new ClientCertificateIdentities([]).verify(token)).toBeUndefined();
    expect(identities.verify(`${token}~x`)).toBeUndefined();
    expect(identities.verify(`${prefix}~${payload}`)).toBeUndefined();
    now += 60_001;
    expect(identities.verify(token)).toBeUndefined();
  });
});
