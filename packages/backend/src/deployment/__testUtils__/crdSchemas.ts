/**
 * JSON schemas for the custom resources of deploy/k8s/data-services that no npm package models:
 * CloudNativePG's `postgresql.cnpg.io/v1` Cluster and ScheduledBackup, and the Barman Cloud
 * plugin's `barmancloud.cnpg.io/v1` ObjectStore.
 *
 * Origin: written for Sentinel from the CloudNativePG API reference (1.27 and later:
 * https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/) and the plugin's
 * ObjectStore type (https://cloudnative-pg.io/plugin-barman-cloud/docs/), not copied from
 * their CRDs (which are several hundred kilobytes). They cover the fields our manifests set,
 * with the types, enums, patterns and required fields the reference gives them, and refuse
 * every other field: a field added to a manifest must be checked against the reference and
 * added here, so a misspelt one fails a test instead of being pruned by the API server.
 */

type Schema = Record<string, unknown>;

const object = (
  properties: Record<string, Schema>,
  required: string[] = [],
): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const string: Schema = { type: 'string' };
const boolean: Schema = { type: 'boolean' };
const integer: Schema = { type: 'integer' };
const strings: Schema = { type: 'array', items: string };
const stringMap: Schema = { type: 'object', additionalProperties: string };
const oneOf = (...values: string[]): Schema => ({
  type: 'string',
  enum: values,
});
/** A Kubernetes quantity: `500m`, `1Gi`, or a number. */
const quantity: Schema = { type: ['string', 'number'] };
const resources = object({
  requests: { type: 'object', additionalProperties: quantity },
  limits: { type: 'object', additionalProperties: quantity },
});
const localObjectReference = object({ name: string }, ['name']);
const secretKeySelector = object({ name: string, key: string }, [
  'name',
  'key',
]);
const metadata: Schema = {
  type: 'object',
  properties: {
    name: string,
    namespace: string,
    labels: stringMap,
    annotations: stringMap,
  },
  required: ['name'],
};
const resource = (apiVersion: string, kind: string, spec: Schema): Schema =>
  object(
    {
      apiVersion: { const: apiVersion },
      kind: { const: kind },
      metadata,
      spec,
    },
    ['apiVersion', 'kind', 'metadata', 'spec'],
  );

const storage = object({
  size: string,
  storageClass: string,
  resizeInUseVolumes: boolean,
});

const cluster = resource(
  'postgresql.cnpg.io/v1',
  'Cluster',
  object(
    {
      description: string,
      instances: { type: 'integer', minimum: 1 },
      imageName: string,
      primaryUpdateStrategy: oneOf('unsupervised', 'supervised'),
      primaryUpdateMethod: oneOf('switchover', 'restart'),
      enableSuperuserAccess: boolean,
      bootstrap: object({
        initdb: object({
          database: string,
          owner: string,
          secret: localObjectReference,
          dataChecksums: boolean,
          encoding: string,
          postInitSQL: strings,
        }),
      }),
      managed: object({
        roles: {
          type: 'array',
          items: object(
            {
              name: string,
              comment: string,
              ensure: oneOf('present', 'absent'),
              login: boolean,
              createdb: boolean,
              createrole: boolean,
              superuser: boolean,
              replication: boolean,
              bypassrls: boolean,
              inherit: boolean,
              connectionLimit: integer,
              passwordSecret: localObjectReference,
              disablePassword: boolean,
              inRoles: strings,
            },
            ['name'],
          ),
        },
      }),
      certificates: object({
        serverCASecret: string,
        serverTLSSecret: string,
        replicationTLSSecret: string,
        clientCASecret: string,
        serverAltDNSNames: strings,
      }),
      postgresql: object({
        // map[string]string: a number must be quoted.
        parameters: stringMap,
        pg_hba: strings,
        pg_ident: strings,
        shared_preload_libraries: strings,
        synchronous: object(
          {
            method: oneOf('any', 'first'),
            number: { type: 'integer', minimum: 1 },
            dataDurability: oneOf('required', 'preferred'),
          },
          ['method', 'number'],
        ),
      }),
      storage,
      walStorage: storage,
      resources,
      affinity: object({
        enablePodAntiAffinity: boolean,
        topologyKey: string,
        podAntiAffinityType: oneOf('preferred', 'required'),
        nodeSelector: stringMap,
      }),
      plugins: {
        type: 'array',
        items: object(
          {
            name: string,
            enabled: boolean,
            isWALArchiver: boolean,
            parameters: stringMap,
          },
          ['name'],
        ),
      },
    },
    ['instances'],
  ),
);

const scheduledBackup = resource(
  'postgresql.cnpg.io/v1',
  'ScheduledBackup',
  object(
    {
      schedule: string,
      cluster: localObjectReference,
      backupOwnerReference: oneOf('none', 'self', 'cluster'),
      immediate: boolean,
      suspend: boolean,
      method: oneOf('barmanObjectStore', 'volumeSnapshot', 'plugin'),
      online: boolean,
      target: oneOf('primary', 'prefer-standby'),
      pluginConfiguration: object({ name: string, parameters: stringMap }, [
        'name',
      ]),
    },
    ['cluster', 'schedule'],
  ),
);

const objectStore = resource(
  'barmancloud.cnpg.io/v1',
  'ObjectStore',
  object(
    {
      retentionPolicy: { type: 'string', pattern: '^[1-9][0-9]*[dwm]$' },
      configuration: object(
        {
          destinationPath: { type: 'string', minLength: 1 },
          endpointURL: string,
          endpointCA: secretKeySelector,
          s3Credentials: object({
            accessKeyId: secretKeySelector,
            secretAccessKey: secretKeySelector,
            region: secretKeySelector,
            sessionToken: secretKeySelector,
            inheritFromIAMRole: boolean,
          }),
          wal: object({
            compression: oneOf('bzip2', 'gzip', 'lz4', 'snappy', 'xz', 'zstd'),
            encryption: oneOf('AES256', 'aws:kms'),
            maxParallel: { type: 'integer', minimum: 1 },
          }),
          data: object({
            compression: oneOf('bzip2', 'gzip', 'snappy'),
            encryption: oneOf('AES256', 'aws:kms'),
            jobs: { type: 'integer', minimum: 1 },
            immediateCheckpoint: boolean,
          }),
          tags: stringMap,
          historyTags: stringMap,
        },
        ['destinationPath'],
      ),
      instanceSidecarConfiguration: object({
        retentionPolicyIntervalSeconds: integer,
        resources,
      }),
    },
    ['configuration'],
  ),
);

/** The schemas by `apiVersion` and `kind`. */
export const CRD_SCHEMAS: Record<string, Record<string, Schema>> = {
  'postgresql.cnpg.io/v1': {
    Cluster: cluster,
    ScheduledBackup: scheduledBackup,
  },
  'barmancloud.cnpg.io/v1': { ObjectStore: objectStore },
};
