import { metrics } from '@opentelemetry/api';
import type { TlsCredentials } from './certificateFiles';

/** The HTTPS listener's OpenTelemetry instruments (meter `sentinel`); names in the README. */
export interface TlsMetrics {
  reloaded(result: 'success' | 'failure'): void;
  /** A client refused before HTTP: the verification error, or the TLS error's code. */
  refused(reason: string): void;
  /** The certificates now in use, for their expiry times. */
  observe(credentials: TlsCredentials): void;
}

export function createTlsMetrics(): TlsMetrics {
  const meter = metrics.getMeter('sentinel');
  const reloads = meter.createCounter('sentinel_tls_reloads_total', {
    description:
      'Changes of the TLS files taken up (success) or refused, the old ones kept (failure)',
  });
  const refusals = meter.createCounter('sentinel_tls_client_refusals_total', {
    description:
      'TLS connections refused before any HTTP, by reason (e.g. CERT_HAS_EXPIRED)',
  });
  let current: TlsCredentials | undefined;
  meter
    .createObservableGauge(
      'sentinel_tls_certificate_expiry_timestamp_seconds',
      {
        description:
          'When each certificate of the HTTPS listener expires (the server certificate and each client CA)',
        unit: 's',
      },
    )
    .addCallback(result => {
      if (!current) return;
      const expiry = (validTo: string) =>
        Math.floor(new Date(validTo).getTime() / 1000);
      result.observe(expiry(current.server.validTo), {
        certificate: 'server',
        subject: current.server.subject,
      });
      for (const ca of current.clientCas) {
        result.observe(expiry(ca.validTo), {
          certificate: 'client-ca',
          subject: ca.subject,
        });
      }
    });
  return {
    reloaded: result => reloads.add(1, { result }),
    refused: reason => refusals.add(1, { reason }),
    observe: credentials => {
      current = credentials;
    },
  };
}
