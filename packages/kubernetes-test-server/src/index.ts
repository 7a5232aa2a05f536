/**
 * A Kubernetes API test server speaking the real REST protocol.
 *
 * @packageDocumentation
 */
export {
  KubernetesTestServer,
  READY_AFTER_ANNOTATION,
} from './KubernetesTestServer';
export type {
  KubernetesTestServerFaults,
  KubernetesTestServerOptions,
  WatchEventType,
} from './KubernetesTestServer';
export {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  PatchError,
} from './patch';
export type { JsonObject } from './patch';
export { selfSignedCertificate } from './certificate';
export { DEMO_FLEET, DEMO_HOST, demoFleetObjects } from './demoFleet';
export type { DemoWorkload } from './demoFleet';
export type { AuthorizationRecord } from './rbac/AuthorizationLog';
export type { WriteRecord } from './writeLog';
export type { BindingRef, RoleRef } from './rbac/RbacAuthorizer';
export { describePermission } from './rbac/rules';
export type { RbacPermission } from './rbac/rules';
export { REQUESTS_PER_SECOND, renderPodMetrics } from './podMetrics';
export type { ServingPod } from './podMetrics';
export { startPrometheus } from './prometheus';
export type { PrometheusProcess, StartPrometheusOptions } from './prometheus';
export { TestCa, TestPki } from './pki';
export type { IssuedCertificate } from './pki';
export { startAlertmanager } from './alertmanager';
export type {
  AlertmanagerProcess,
  StartAlertmanagerOptions,
} from './alertmanager';
export { startRedis } from './redis';
export type { RedisProcess, StartRedisOptions } from './redis';
