/** A set of listeners to call when something happened: what the inbox uses to say "new deliveries" or "unavailable". */
export class Signal<Value = void> {
  readonly #listeners = new Set<(value: Value) => void>();

  /** Returns a function that removes the listener. */
  subscribe(listener: (value: Value) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(value: Value): void {
    for (const listener of this.#listeners) listener(value);
  }
}
