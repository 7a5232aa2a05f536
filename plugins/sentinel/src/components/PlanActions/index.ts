export { PlanActions } from './PlanActions';
