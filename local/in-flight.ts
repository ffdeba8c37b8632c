// Work under way that a stop (or a next run) waits for: each promise is kept until it settles, then
// dropped, so the set holds only what still runs.

export class InFlight {
  private readonly pending = new Set<Promise<void>>();

  /** Keeps `work` in view until it settles (fulfilled or rejected); returns it as it is. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return work;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once nothing is under way, work tracked meanwhile included: at once when nothing is. */
  async drained(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
