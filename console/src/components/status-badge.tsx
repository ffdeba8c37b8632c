// A status as a coloured pill; every page shows statuses this way (tests find them by test id).
import { statusLabel, statusTone } from '../format/format';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${statusTone(status)}`} data-testid="status-badge" data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
