export { vaultServiceFactories, vaultServiceRef } from './services';
export type { VaultService, VaultServiceOptions } from './services';
