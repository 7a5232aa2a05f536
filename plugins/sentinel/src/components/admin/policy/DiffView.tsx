import { makeStyles } from '@material-ui/core/styles';
import { lineDiff } from './versionDiff';

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
  return (
    <pre className={classes.diff} aria-label="Differences">
      {lineDiff(before, after).map((line, i) => (
        <div key={i} className={classes[line.kind]} data-diff={line.kind}>
          {MARK[line.kind]}
          {line.text}
        </div>
      ))}
    </pre>
  );
};
