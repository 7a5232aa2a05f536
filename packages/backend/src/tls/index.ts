export { sentinelRootHttpRouterServiceFactory } from './rootHttpRouterServiceFactory';
export {
  clientCertificateHttpAuthServiceFactory,
  clientCertificateIdentitiesServiceRef,
  clientCertificateTokenHandlerServiceFactory,
} from './clientCertificateAuth';
