import {
  createFrontendModule,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { Navigate } from 'react-router-dom';

/**
 * The landing page is the catalog, served at /catalog where Backstage users and links expect
 * it: `/` sends them there.
 */
const homeRedirect = PageBlueprint.make({
  name: 'home',
  params: {
    path: '/',
    noHeader: true,
    loader: async () => <Navigate to="/catalog" replace />,
  },
});

export const homeModule = createFrontendModule({
  pluginId: 'app',
  extensions: [homeRedirect],
});
