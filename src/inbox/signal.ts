/** A set of listeners to call when something happened; what the inbox uses to say "new deliveries". */
export class Signal {
  readonly #listeners = new Set<() => void>();

  /** Returns a function that removes the listener. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(): void {
    for (const listener of this.#listeners) listener();
  }
}
