/**
 * Listeners of one kind of event within one replica (a plan changed, a rollout ended, the
 * policy changed): the publisher is built before its listeners exist, and listeners come and
 * go, so no part has to be built before the parts it tells. A listener must return at once;
 * one that throws is logged by `onError` and never stops the others or the publisher.
 */
export class Topic<T> {
  readonly #listeners = new Set<(event: T) => void>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  publish(event: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /** Adds a listener; returns what removes it. */
  subscribe(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
