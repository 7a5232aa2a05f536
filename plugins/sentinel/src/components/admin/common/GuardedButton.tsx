import { usePermission } from '@backstage/plugin-permission-react';
import type { BasicPermission } from '@backstage/plugin-permission-common';
import Button, { type ButtonProps } from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';

/**
 * A button the permission framework decides: disabled while the decision loads and when it is
 * a deny, with `deniedReason` on hover. `blockedReason` disables it for another reason (a draft
 * with problems, say) and is shown the same way.
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
  const why = (!loading && !allowed && deniedReason) || blockedReason;
  return (
    <Tooltip title={why ?? ''} disableHoverListener={!why}>
      {/* A disabled button gets no hover events; the span shows the tooltip. */}
      <span>
        <Button
          {...button}
          disabled={loading || !allowed || !!blockedReason || button.disabled}
        />
      </span>
    </Tooltip>
  );
};
