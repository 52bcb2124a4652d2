// What a composition opened, released last first: when a later step throws, and at close. Node 24's
// AsyncDisposableStack does this, but the package also runs on Node 22, which lacks it.
export class Releases {
  readonly #releases: (() => unknown)[] = [];

  /** Keeps what releases `resource`, and returns the resource. */
  adopt<T>(resource: T, release: (resource: T) => unknown): T {
    this.#releases.push(() => release(resource));
    return resource;
  }

  /** Keeps a release of something that is not a value (a timer, a subscription). */
  defer(release: () => unknown): void {
    this.#releases.push(release);
  }

  /**
   * Releases everything kept, last first, each one even when one before it failed; then throws
   * the failure, or an AggregateError of them all when there were several. Once only: a second call
   * releases nothing.
   */
  async releaseAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const release of this.#releases.splice(0).reverse()) {
      try {
        await release();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} releases failed`);
  }
}
