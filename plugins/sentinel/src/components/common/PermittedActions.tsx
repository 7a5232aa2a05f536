import Typography from '@material-ui/core/Typography';
import type { ReactNode } from 'react';

/**
 * Action buttons for those the permission framework allows; for anyone else, no buttons but
 * one line saying who may (a viewer sees what happens, not controls they cannot use). While
 * the decision loads the buttons show, disabled by their own `loading` checks.
 */
export const PermittedActions = ({
  allowed,
  loading,
  whoMay,
  children,
}: {
  allowed: boolean;
  loading: boolean;
  whoMay: string;
  children: ReactNode;
}) => {
  if (!loading && !allowed) {
    return (
      <Typography variant="caption" color="textSecondary">
        {whoMay}
      </Typography>
    );
  }
  return <>{children}</>;
};
