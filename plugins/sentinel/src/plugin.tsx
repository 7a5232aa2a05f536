import {
  createFrontendPlugin,
  PageBlueprint,
  SubPageBlueprint,
  type RouteRef,
} from '@backstage/frontend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { SENTINEL_WORKLOADS_ANNOTATION } from '@internal/backstage-plugin-sentinel-common';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import SecurityIcon from '@material-ui/icons/Security';
import { sentinelApi } from './api';
import { adminRouteRefs, rootRouteRef } from './routes';
import { sentinelMessages } from './translation';

/** Whether Sentinel manages any of the entity's workloads (the annotation is set). */
const isManaged = (entity: Entity) =>
  !!entity.metadata.annotations?.[SENTINEL_WORKLOADS_ANNOTATION];

/** The "Sentinel" tab on the catalog page of every service Sentinel manages. */
export const sentinelEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/sentinel',
    title: 'Sentinel',
    filter: isManaged,
    loader: () =>
      import('./components/SentinelEntityContent').then(m => (
        <m.SentinelEntityContent />
      )),
  },
});

/** Sentinel at a glance on the Overview tab of every service Sentinel manages. */
export const sentinelOverviewCard = EntityCardBlueprint.make({
  name: 'overview',
  params: {
    filter: isManaged,
    loader: () =>
      import('./components/SentinelOverviewCard').then(m => (
        <m.SentinelOverviewCard />
      )),
  },
});

/**
 * Sentinel's admin page (/sentinel): its sections are the tabs below. The nav item is shown to
 * whoever may read policies (packages/app's sidebar); each section checks its own permissions.
 */
export const sentinelAdminPage = PageBlueprint.make({
  params: {
    path: '/sentinel',
    // Page and tab titles are plain strings in this Backstage release (1.55): the English
    // message, which an app's translation of the ref does not change.
    title: sentinelMessages.admin.navTitle,
    icon: <SecurityIcon />,
    routeRef: rootRouteRef,
  },
});

const adminSection = (
  name: keyof typeof adminRouteRefs,
  routeRef: RouteRef,
  loader: () => Promise<JSX.Element>,
) =>
  SubPageBlueprint.make({
    name,
    attachTo: { id: 'page:sentinel', input: 'pages' },
    params: {
      path: name,
      title: sentinelMessages.admin.sections[name],
      routeRef,
      loader,
    },
  });

const guarded = (element: Promise<JSX.Element>) =>
  Promise.all([import('./components/admin/AdminGate'), element]).then(
    ([m, content]) => <m.AdminGate>{content}</m.AdminGate>,
  );

export const sentinelAdminSections = [
  adminSection('approvals', adminRouteRefs.approvals, () =>
    guarded(
      import('./components/admin/ApprovalsSection').then(m => (
        <m.ApprovalsSection />
      )),
    ),
  ),
  adminSection('policy', adminRouteRefs.policy, () =>
    guarded(
      import('./components/admin/policy/PolicySection').then(m => (
        <m.PolicySection />
      )),
    ),
  ),
  adminSection('freezes', adminRouteRefs.freezes, () =>
    guarded(
      import('./components/admin/freezes/FreezesSection').then(m => (
        <m.FreezesSection />
      )),
    ),
  ),
  adminSection('exceptions', adminRouteRefs.exceptions, () =>
    guarded(
      import('./components/admin/ExceptionsSection').then(m => (
        <m.ExceptionsSection />
      )),
    ),
  ),
  adminSection('shadow', adminRouteRefs.shadow, () =>
    guarded(
      import('./components/admin/ShadowSection').then(m => <m.ShadowSection />),
    ),
  ),
  adminSection('access', adminRouteRefs.access, () =>
    guarded(
      import('./components/admin/AccessSection').then(m => <m.AccessSection />),
    ),
  ),
  adminSection('audit', adminRouteRefs.audit, () =>
    guarded(
      import('./components/admin/AuditSection').then(m => <m.AuditSection />),
    ),
  ),
];

/** `ui:field: SentinelWorkloadPicker` for templates: workloads from Sentinel's inventory. */
export const sentinelWorkloadPickerField = FormFieldBlueprint.make({
  name: 'workload-picker',
  params: {
    field: () =>
      import('./components/scaffolder/SentinelWorkloadPicker').then(
        m => m.SentinelWorkloadPickerField,
      ),
  },
});

/**
 * Sentinel's frontend plugin: workload, rollout, rollback and freeze status of a service.
 *
 * @public
 */
export const sentinelPlugin = createFrontendPlugin({
  pluginId: 'sentinel',
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef, ...adminRouteRefs },
  extensions: [
    sentinelApi,
    sentinelEntityContent,
    sentinelOverviewCard,
    sentinelAdminPage,
    ...sentinelAdminSections,
    sentinelWorkloadPickerField,
  ],
});
