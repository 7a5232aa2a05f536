// First: the scrape endpoint and its meter provider exist before any plugin makes an instrument.
import './instrumentation';
import { createBackend } from '@backstage/backend-defaults';
import { noStackTraces } from './errorBodies';
import {
  clientCertificateHttpAuthServiceFactory,
  clientCertificateTokenHandlerServiceFactory,
  sentinelRootHttpRouterServiceFactory,
} from './tls';
import { vaultServiceFactories } from './vault';

// The Backstage backend that runs the Sentinel plugin suite. In the embedded default
// (app-config.yaml) it runs on SQLite with guest sign-in and the demo catalog.
const backend = createBackend();

// Secrets from Vault when app-config has `vault` (docs/security.md, "Secrets from Vault"):
// `${vault:<mount>/data/<path>#<key>}` in config reads KV v2, `vault.database` gives PostgreSQL
// credentials that rotate without a restart, and readiness says when Vault is sealed or
// unreachable. Without `vault`, these are Backstage's root config, database and health services.
for (const factory of vaultServiceFactories()) {
  backend.add(factory);
}

// No response carries a stack trace, not even in development (the embedded default). With
// sentinel.tls the listener is HTTPS with client certificates required, reloaded from its
// files (docs/adr/013-mtls-listener.md); without it, Backstage's own.
backend.add(
  sentinelRootHttpRouterServiceFactory({
    configure({ app, applyDefaults }) {
      app.use(noStackTraces());
      applyDefaults();
    },
  }),
);
// A client certificate mapped in backend.auth.externalAccess (type client-certificate) is that
// entry's principal, as a token would be.
backend.add(clientCertificateHttpAuthServiceFactory);
backend.add(clientCertificateTokenHandlerServiceFactory);

backend.add(import('@backstage/plugin-app-backend'));

// Auth: guest sign-in for the embedded default (app-config.yaml); people sign in with OIDC
// in production (app-config.production.yaml). Each provider answers only where configured.
// OIDC is Backstage's OIDC provider module, registered by ./auth/oidcProvider so that an
// identity provider down while a replica starts is discovered again later.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('./auth/oidcProvider'));

// Catalog: services, their owners and the users who approve plans.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// Permissions: Sentinel's role policy decides every request.
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@internal/backstage-plugin-permission-backend-module-sentinel'),
);

// Scaffolder, with Sentinel's template actions.
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
backend.add(
  import('@internal/backstage-plugin-scaffolder-backend-module-sentinel'),
);

backend.add(import('@backstage/plugin-user-settings-backend'));

// Events: the bus that carries Backstage's EventsService from one replica to the others. Each
// replica's signals backend hears of every event through it, so a signal or notification sent
// on one replica reaches the browsers connected to any replica. On PostgreSQL the bus keeps
// events in the database (LISTEN/NOTIFY wakes the readers); on SQLite, one process only, in
// memory. app-config.production.yaml sets events.useEventBus (docs/adr/012-events-across-replicas.md).
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// Sentinel itself, mounted at /api/sentinel.
backend.add(import('@internal/backstage-plugin-sentinel-backend'));
backend.add(import('./simulatedCluster'));
// The expiry time of every certificate it holds, as a metric.
backend.add(import('./certificateExpiry/module'));

backend.start();
