import { useApi } from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import FormControl from '@material-ui/core/FormControl';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Autocomplete from '@material-ui/lab/Autocomplete';
import useAsync from 'react-use/esm/useAsync';
import { sentinelApiRef } from '../../api';
import { workloadOptions, type WorkloadOption } from './workloadOptions';

interface PickerOptions {
  /** Pick several workloads (the value is then a list). */
  multiple?: boolean;
  /** Offer workloads no service manages yet (to put one under Sentinel). */
  includeUnmanaged?: boolean;
  /** Only workloads in this namespace. */
  namespace?: string;
}

/**
 * Workloads from Sentinel's inventory with their live state, for templates: the value is
 * `cluster/namespace/Kind/name` (or a list of them with `multiple`).
 */
export const SentinelWorkloadPicker = (
  props: FieldExtensionComponentProps<string | string[], PickerOptions>,
) => {
  const {
    onChange,
    schema: { title = 'Workload', description },
    required,
    uiSchema,
    rawErrors,
    formData,
    idSchema,
  } = props;
  const options = uiSchema['ui:options'] ?? {};
  const sentinel = useApi(sentinelApiRef);
  const { value, loading, error } = useAsync(
    async () =>
      workloadOptions(
        (
          await sentinel.listWorkloads({
            limit: 500,
            ...(options.includeUnmanaged && { include: 'unmanaged' as const }),
            ...(options.namespace && { namespace: options.namespace }),
          })
        ).items,
      ),
    [sentinel, options.includeUnmanaged, options.namespace],
  );
  const all = value ?? [];
  const byRef = (ref: string) =>
    all.find(o => o.ref === ref) ?? { ref, detail: '', managedBy: null };
  const selected = options.multiple
    ? ((formData as string[] | undefined) ?? []).map(byRef)
    : (formData && byRef(formData as string)) || null;

  return (
    <FormControl
      margin="normal"
      required={required}
      error={!!rawErrors?.length || !!error}
      fullWidth
    >
      <Autocomplete<WorkloadOption, boolean>
        id={idSchema?.$id}
        multiple={!!options.multiple}
        loading={loading}
        options={all}
        value={selected as any}
        getOptionLabel={o => o.ref}
        getOptionSelected={(a, b) => a.ref === b.ref}
        onChange={(_, picked) =>
          onChange(
            Array.isArray(picked)
              ? picked.map(p => p.ref)
              : (picked as WorkloadOption | null)?.ref ?? (undefined as any),
          )
        }
        renderOption={o => (
          <div>
            <Typography variant="body2">{o.ref}</Typography>
            <Typography variant="caption" color="textSecondary">
              {o.detail}
            </Typography>
          </div>
        )}
        renderInput={params => (
          <TextField
            {...params}
            label={title}
            // The browser checks the text input; with chips picked it is empty but the
            // field is filled.
            required={
              required &&
              (Array.isArray(selected) ? selected.length === 0 : !selected)
            }
            helperText={
              error
                ? `Sentinel's inventory could not be read: ${error.message}`
                : description
            }
            error={!!rawErrors?.length || !!error}
          />
        )}
      />
    </FormControl>
  );
};

/** The field extension templates name as `ui:field: SentinelWorkloadPicker`. */
export const SentinelWorkloadPickerField = createFormField({
  name: 'SentinelWorkloadPicker',
  component: SentinelWorkloadPicker as any,
});
