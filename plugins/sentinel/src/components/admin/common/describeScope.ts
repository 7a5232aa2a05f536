/** A policy scope in a few words: "demo / shop / component:default/cart", or `everything`. */
export function describeScope(
  scope:
    | {
        cluster?: string;
        namespace?: string;
        entityRef?: string;
        labels?: Record<string, string>;
      }
    | undefined,
  everything: string,
): string {
  const parts = [
    scope?.cluster && `cluster ${scope.cluster}`,
    scope?.namespace && `namespace ${scope.namespace}`,
    scope?.entityRef,
    ...Object.entries(scope?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : everything;
}
