import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { homeModule } from './modules/home';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

// Plugins listed in package.json (including @internal/backstage-plugin-sentinel) are discovered
// through `app.packages: all`; only overrides are wired here.
export default createApp({
  features: [catalogPlugin, navModule, homeModule, signInModule],
});
