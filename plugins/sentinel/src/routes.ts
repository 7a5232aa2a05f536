import { createRouteRef } from '@backstage/frontend-plugin-api';

/** Sentinel's admin page (/sentinel); its sections are sub-pages below it. */
export const rootRouteRef = createRouteRef();

/** The admin page's sections, one route each so that links can point at a section. */
export const adminRouteRefs = {
  approvals: createRouteRef(),
  policy: createRouteRef(),
  freezes: createRouteRef(),
  exceptions: createRouteRef(),
  shadow: createRouteRef(),
  access: createRouteRef(),
  audit: createRouteRef(),
};
