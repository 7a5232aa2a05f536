import {
  ApiBlueprint,
  createApiRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  SentinelClient,
  type SentinelApi,
} from '@internal/backstage-plugin-sentinel-common';

export type { SentinelApi };

/** The Sentinel backend's API; the default is the generated client from sentinel-common. */
export const sentinelApiRef = createApiRef<SentinelApi>().with({
  id: 'plugin.sentinel.client',
  pluginId: 'sentinel',
});

/** Wires the client to the backend's URL and the signed-in user's token. */
export const sentinelApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: sentinelApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new SentinelClient({
          baseUrl: () => discoveryApi.getBaseUrl('sentinel'),
          fetch: fetchApi.fetch,
        }),
    }),
});
