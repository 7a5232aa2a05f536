import type { LoggerService } from '@backstage/backend-plugin-api';
import { metrics } from '@opentelemetry/api';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HeldCertificate } from './heldCertificates';

const PEM_CERTIFICATE =
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Observes `sentinel_certificate_expiry_timestamp_seconds` (meter `sentinel`): for each
 * certificate in each held file or setting, its notAfter in Unix seconds. Files are read at
 * each collection, so a rotated file shows its new certificate at the next scrape; settings
 * show what was read at start, which is what the connection uses until a restart.
 */
export function observeCertificateExpiry(
  held: HeldCertificate[],
  logger: LoggerService,
): void {
  const failing = new Map<string, string>();
  metrics
    .getMeter('sentinel')
    .createObservableGauge('sentinel_certificate_expiry_timestamp_seconds', {
      description:
        'When each certificate Sentinel holds expires (notAfter), by what it is for and where it is',
      unit: 's',
    })
    .addCallback(result => {
      for (const entry of held) {
        const path = 'file' in entry ? entry.file : entry.configKey;
        let certificates: X509Certificate[];
        try {
          const pem =
            'file' in entry ? readFileSync(entry.file, 'utf8') : entry.pem;
          certificates = (pem.match(PEM_CERTIFICATE) ?? []).map(
            block => new X509Certificate(block),
          );
          failing.delete(path);
        } catch (error) {
          // Once per change of cause: the gauge is collected every scrape.
          const message = (error as Error).message;
          if (failing.get(path) !== message) {
            failing.set(path, message);
            logger.warn(
              `Cannot read certificate ${entry.certificate} from ${path} for its expiry metric`,
              error as Error,
            );
          }
          continue;
        }
        for (const certificate of certificates) {
          result.observe(
            Math.floor(new Date(certificate.validTo).getTime() / 1000),
            {
              certificate: entry.certificate,
              path,
              subject: certificate.subject.replace(/\n/g, ', '),
              serial: certificate.serialNumber,
            },
          );
        }
      }
    });
}
