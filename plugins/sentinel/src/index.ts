export { sentinelPlugin as default } from './plugin';
