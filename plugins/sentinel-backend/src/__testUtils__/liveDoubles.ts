import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  notificationService,
  type NotificationSendOptions,
} from '@backstage/plugin-notifications-node';
import {
  signalsServiceRef,
  type SignalPayload,
} from '@backstage/plugin-signals-node';

/**
 * Test doubles of Backstage's signals and notification services (the real ones need the
 * signals and notifications backend plugins): they record what Sentinel published and sent,
 * or (`failing`) record it and throw, as a service that is down would.
 */
export function liveDoubles(options: { failing?: boolean } = {}) {
  const outcome = async () => {
    if (options.failing) throw new Error('the service is down');
  };
  const signals: SignalPayload[] = [];
  const notifications: NotificationSendOptions[] = [];
  return {
    signals,
    notifications,
    features: [
      createServiceFactory({
        service: signalsServiceRef,
        deps: {},
        factory: () => ({
          async publish(signal: SignalPayload) {
            signals.push(signal);
            await outcome();
          },
        }),
      }),
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({
          async send(notification: NotificationSendOptions) {
            notifications.push(notification);
            await outcome();
          },
        }),
      }),
    ],
  };
}
