export { WorkloadList } from './WorkloadList';
