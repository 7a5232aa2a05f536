import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { makeStyles } from '@material-ui/core/styles';
import { sentinelTranslationRef } from '../../../translation';
import { foldUnchanged, lineDiff } from './versionDiff';

const useStyles = makeStyles(theme => ({
  diff: {
    fontFamily: 'monospace',
    fontSize: 12,
    whiteSpace: 'pre-wrap',
    margin: theme.spacing(1, 0),
    maxHeight: 480,
    overflow: 'auto',
  },
  added: {
    background:
      theme.palette.type === 'dark'
        ? 'rgba(46, 160, 67, 0.25)'
        : 'rgba(46, 160, 67, 0.15)',
  },
  removed: {
    background:
      theme.palette.type === 'dark'
        ? 'rgba(248, 81, 73, 0.25)'
        : 'rgba(248, 81, 73, 0.15)',
    textDecoration: 'line-through',
  },
  same: { color: theme.palette.text.secondary },
  fold: { color: theme.palette.text.hint, fontStyle: 'italic' },
}));

const MARK = { added: '+ ', removed: '- ', same: '  ' } as const;

/** A line diff of two texts, readable in the light and the dark theme. */
export const DiffView = ({
  before,
  after,
}: {
  before: string;
  after: string;
}) => {
  const classes = useStyles();
  const { t } = useTranslationRef(sentinelTranslationRef);
  return (
    <pre className={classes.diff} aria-label="Differences">
      {foldUnchanged(lineDiff(before, after)).map((line, i) =>
        line.kind === 'fold' ? (
          <div key={i} className={classes.fold} data-diff="fold">
            {`  ${t('policy.folded', { count: line.count })}`}
          </div>
        ) : (
          <div key={i} className={classes[line.kind]} data-diff={line.kind}>
            {MARK[line.kind]}
            {line.text}
          </div>
        ),
      )}
    </pre>
  );
};
