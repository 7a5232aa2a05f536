/** The pure policy engine: freeze calendar, plan evaluation, freeze status and scope matching. */
export {
  compileFreezeCalendar,
  InvalidFreezeWindowError,
  type FreezeInterval,
} from './freezeCalendar';
export { evaluatePolicy } from './evaluatePolicy';
export {
  freezeStatus,
  type FreezeStatus,
  type FreezeStatusQuery,
  type FreezeWindowInterval,
} from './freezeStatus';
export { scopeMatches, type ScopeFacts } from './scope';
export { freezeOccurrences, type FreezeOccurrence } from './freezeOccurrences';
