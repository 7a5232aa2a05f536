import {
  Content,
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi, useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  ApiAuditEvent,
  ListAuditQuery,
} from '@internal/backstage-plugin-sentinel-common';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import { useEffect, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useDebounce from 'react-use/esm/useDebounce';
import { sentinelApiRef } from '../../api';
import { sentinelTranslationRef } from '../../translation';

const FILTERS = ['actor', 'entityRef', 'action', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The filters as the API's query: empty ones left out, local date-times as instants. */
export function auditQuery(filters: Filters, cursor?: string): ListAuditQuery {
  const query: Record<string, string | number> = { limit: 50 };
  for (const key of FILTERS) {
    const value = filters[key].trim();
    if (!value) continue;
    query[key] =
      key === 'from' || key === 'to' ? new Date(value).toISOString() : value;
  }
  if (cursor) query.cursor = cursor;
  return query as ListAuditQuery;
}

/** The audit trail with filters, newest first, a page at a time. */
export const AuditSection = () => {
  const sentinel = useApi(sentinelApiRef);
  const { t } = useTranslationRef(sentinelTranslationRef);
  const [filters, setFilters] = useState<Filters>({
    actor: '',
    entityRef: '',
    action: '',
    from: '',
    to: '',
  });
  const [applied, setApplied] = useState(filters);
  useDebounce(() => setApplied(filters), 400, [filters]);
  const [pages, setPages] = useState<ApiAuditEvent[]>([]);
  const [cursor, setCursor] = useState<string>();

  const first = useAsyncRetry(
    () => sentinel.listAuditEvents(auditQuery(applied)),
    [sentinel, applied],
  );
  useEffect(() => {
    setPages(first.value?.items ?? []);
    setCursor(first.value?.nextCursor ?? undefined);
  }, [first.value]);
  const more = async () => {
    const page = await sentinel.listAuditEvents(auditQuery(applied, cursor));
    setPages(p => [...p, ...page.items]);
    setCursor(page.nextCursor ?? undefined);
  };

  const labels: Filters = {
    actor: t('audit.filterActor'),
    entityRef: t('audit.filterEntity'),
    action: t('audit.filterAction'),
    from: t('audit.filterFrom'),
    to: t('audit.filterTo'),
  };
  const columns: TableColumn<ApiAuditEvent>[] = [
    { title: t('audit.at'), render: e => new Date(e.at).toLocaleString() },
    { title: t('audit.actor'), field: 'actor' },
    { title: t('audit.action'), field: 'action' },
    { title: t('audit.outcome'), field: 'outcome' },
    {
      title: t('audit.subject'),
      render: e =>
        [
          e.entityRef,
          e.planId && `plan ${e.planId}`,
          e.rolloutId && `rollout ${e.rolloutId}`,
        ]
          .filter(Boolean)
          .join(' · '),
    },
    { title: t('audit.reason'), render: e => e.reason ?? '' },
  ];

  return (
    <Content>
      <div
        style={{ display: 'flex', gap: 16, flexWrap: 'wrap', marginBottom: 16 }}
      >
        {FILTERS.map(key => (
          <TextField
            key={key}
            id={`audit-${key}`}
            label={labels[key]}
            value={filters[key]}
            onChange={e => setFilters(f => ({ ...f, [key]: e.target.value }))}
            {...(key === 'from' || key === 'to'
              ? { type: 'datetime-local', InputLabelProps: { shrink: true } }
              : {})}
          />
        ))}
      </div>
      {first.error && <ResponseErrorPanel error={first.error} />}
      {first.loading && !first.value && <Progress />}
      {first.value && (
        <Table<ApiAuditEvent>
          title={t('audit.title')}
          options={{ paging: false, search: false, padding: 'dense' }}
          columns={columns}
          data={pages.map(e => ({ ...e }))}
          detailPanel={({ rowData }) => (
            <pre style={{ margin: 16, whiteSpace: 'pre-wrap' }}>
              {JSON.stringify(rowData.details, null, 2)}
            </pre>
          )}
          emptyContent={<div style={{ padding: 16 }}>{t('audit.empty')}</div>}
        />
      )}
      {cursor && (
        <Button style={{ marginTop: 8 }} onClick={more}>
          {t('audit.more')}
        </Button>
      )}
    </Content>
  );
};
