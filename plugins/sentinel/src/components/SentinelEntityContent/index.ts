export { SentinelEntityContent } from './SentinelEntityContent';
