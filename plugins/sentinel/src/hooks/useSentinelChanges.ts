import { useSignal } from '@backstage/plugin-signals-react';
import {
  SENTINEL_CHANGES_CHANNEL,
  type SentinelChangeMessage,
} from '@internal/backstage-plugin-sentinel-common';
import { useEffect, useRef, useState } from 'react';

/** How often a page reloads when the app has no signals (the fallback). */
const POLL_MS = 15_000;

/**
 * A number that grows whenever the backend announces a change `matches` cares about (Backstage
 * signals, channel `sentinel:changes`), or every 15 s when the app has no signals. Put it in the
 * dependencies of the load it should repeat.
 */
export function useSentinelChanges(
  matches: (change: SentinelChangeMessage) => boolean = () => true,
): number {
  const { lastSignal, isSignalsAvailable } = useSignal<SentinelChangeMessage>(
    SENTINEL_CHANGES_CHANNEL,
  );
  const [version, setVersion] = useState(0);
  // The latest filter, without re-subscribing when a caller passes a new closure.
  const matchesRef = useRef(matches);
  matchesRef.current = matches;

  useEffect(() => {
    if (lastSignal && matchesRef.current(lastSignal)) setVersion(v => v + 1);
  }, [lastSignal]);

  useEffect(() => {
    if (isSignalsAvailable) return undefined;
    const timer = setInterval(() => setVersion(v => v + 1), POLL_MS);
    return () => clearInterval(timer);
  }, [isSignalsAvailable]);

  return version;
}

/** A filter for changes to one catalog entity's plans and rollouts. */
export const forEntity =
  (entityRef: string) =>
  (change: SentinelChangeMessage): boolean =>
    change.entityRefs.includes(entityRef);
