import { usePermission } from '@backstage/plugin-permission-react';
import type { BasicPermission } from '@backstage/plugin-permission-common';
import Button, { type ButtonProps } from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import { PermittedActions } from '../../common/PermittedActions';

/**
 * A button the permission framework decides: disabled while the decision loads; for a deny, no
 * button but `deniedReason` in its place. `blockedReason` disables it for another reason (a
 * draft with problems, say) and shows on hover.
 */
export const GuardedButton = ({
  permission,
  deniedReason,
  blockedReason,
  ...button
}: ButtonProps & {
  permission: BasicPermission;
  deniedReason: string;
  blockedReason?: string;
}) => {
  const { allowed, loading } = usePermission({ permission });
  if (!loading && !allowed) {
    return (
      <PermittedActions allowed={false} loading={false} whoMay={deniedReason}>
        {null}
      </PermittedActions>
    );
  }
  const why = blockedReason;
  return (
    <Tooltip title={why ?? ''} disableHoverListener={!why}>
      {/* A disabled button gets no hover events; the span shows the tooltip. */}
      <span>
        <Button
          {...button}
          disabled={loading || !!blockedReason || button.disabled}
        />
      </span>
    </Tooltip>
  );
};
