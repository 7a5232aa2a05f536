import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import {
  createExternalTokenHandler,
  externalTokenHandlersServiceRef,
} from '@backstage/backend-defaults/auth';
import { DefaultHttpAuthService } from '@backstage/backend-defaults/httpAuth';
import type { Request } from 'express';
import {
  CLIENT_CERTIFICATE_ACCESS_TYPE,
  ClientCertificateIdentities,
  readClientCertificateMapping,
} from './clientCertificates';

/** The process's client-certificate identities (root: one key for every plugin). */
export const clientCertificateIdentitiesServiceRef =
  createServiceRef<ClientCertificateIdentities>({
    id: 'sentinel.tls.clientCertificateIdentities',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: { config: coreServices.rootConfig },
        factory: ({ config }) => ClientCertificateIdentities.fromConfig(config),
      }),
  });

/** The bearer token, read as Backstage's httpAuth reads it. */
function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return /^Bearer[ ]+(\S+)$/i.exec(header)?.[1];
}

/**
 * Backstage's httpAuth, which also authenticates a request by its client certificate: a
 * request with no Authorization header whose TLS connection presented a certificate mapped in
 * `backend.auth.externalAccess` (type `client-certificate`) is that entry's principal. A token,
 * when sent, always wins (a person's requests through a proxy that holds a certificate of its
 * own); an unmapped certificate adds nothing (cookies still work).
 */
export const clientCertificateHttpAuthServiceFactory = createServiceFactory({
  service: coreServices.httpAuth,
  deps: {
    auth: coreServices.auth,
    discovery: coreServices.discovery,
    plugin: coreServices.pluginMetadata,
    identities: clientCertificateIdentitiesServiceRef,
  },
  async factory({ auth, discovery, plugin, identities }) {
    return DefaultHttpAuthService.create({
      auth,
      discovery,
      pluginId: plugin.getId(),
      getTokenFromRequest: req => ({
        token:
          req.headers.authorization === undefined
            ? identities.tokenFor(req)
            : bearerToken(req),
      }),
    });
  },
});

/**
 * The `client-certificate` external-access type: `options.certificate` (`CN=...`, `URI:...`,
 * `DNS:...`) becomes the principal `options.subject`, with the entry's `accessRestrictions`.
 */
export const clientCertificateTokenHandlerServiceFactory = createServiceFactory(
  {
    service: externalTokenHandlersServiceRef,
    deps: { identities: clientCertificateIdentitiesServiceRef },
    async factory({ identities }) {
      return createExternalTokenHandler({
        type: CLIENT_CERTIFICATE_ACCESS_TYPE,
        initialize: ({ options }) => readClientCertificateMapping(options),
        async verifyToken(token, mapping) {
          const verified = identities.verify(token);
          if (
            verified?.certificate !== mapping.certificate ||
            verified.subject !== mapping.subject
          ) {
            return undefined;
          }
          return { subject: mapping.subject };
        },
      });
    },
  },
);
