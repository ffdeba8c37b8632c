// The worker's clock on the table's, for the times it writes (its item's heartbeats, its attempts).

/** Below this the offset is the Date header's one-second grain and the trip's time, not a wrong clock. */
const CLOCK_GRAIN_MS = 2_000;

/**
 * Now on the table's clock: the AWS SDK learns its offset from each answer's Date header
 * (systemClockOffset). The sweeper judges a worker's silence by the item's lastHeartbeatAt against its own
 * clock, and the recorder takes claimedAt and endedAt as sent, so a worker whose clock ran 10 minutes
 * behind was marked DEAD at every sweep (each step it took lost as Worker.Lost, its attempts 10 minutes
 * long), and one 10 minutes ahead would have looked alive for 10 minutes after it died.
 */
export function tableClock(dynamodb: { config: { systemClockOffset?: number } }): () => Date {
  // The SDK resets the offset from every answer's Date header, whose grain is a second: the offset in use
  // moves only when the SDK's moves by more than that, or a skewed host's attempts would jitter by a second.
  let applied = 0;
  return () => {
    const offset = dynamodb.config.systemClockOffset ?? 0;
    if (Math.abs(offset - applied) >= CLOCK_GRAIN_MS) applied = offset;
    return new Date(Date.now() + applied);
  };
}
