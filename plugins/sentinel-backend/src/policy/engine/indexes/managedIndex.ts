/**
 * The managed workloads (context.managedWorkloads) grouped by cluster or `cluster/namespace`,
 * memoised on the array (weakly, so it goes with it) while its length stays the same.
 */

const managedIndexes = new WeakMap<
  readonly string[],
  { length: number; groups: Map<string, Set<string>> }
>();

/** The managed workloads of a cluster or of a `cluster/namespace`. */
export function managedIn(
  managed: readonly string[],
  group: string,
): Set<string> {
  let index = managedIndexes.get(managed);
  if (!index || index.length !== managed.length) {
    index = { length: managed.length, groups: new Map() };
    managedIndexes.set(managed, index);
  }
  let workloads = index.groups.get(group);
  if (!workloads) {
    workloads = new Set();
    const length = group.length;
    for (const workload of managed) {
      // `group/` prefix; the cheap '/' test first.
      if (workload.charCodeAt(length) === 47 && workload.startsWith(group)) {
        workloads.add(workload);
      }
    }
    index.groups.set(group, workloads);
  }
  return workloads;
}
