export { SentinelOverviewCard } from './SentinelOverviewCard';
