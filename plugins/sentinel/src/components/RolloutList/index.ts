export { RolloutList } from './RolloutList';
