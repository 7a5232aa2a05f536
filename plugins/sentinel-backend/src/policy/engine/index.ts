/** The pure policy engine: freeze calendar, plan evaluation and freeze status. */
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
