// What a page shows while its data loads or when the API refuses it: a 403 on an admin route says which
// role it takes rather than a bare status.
import { ApiError } from '../api/client';

export function LoadError(props: {
  readonly error: unknown;
  readonly what: string;
  /** What a 403 means here. @default the admin routes' roles */
  readonly forbidden?: string;
}) {
  const { error, what } = props;
  if (error instanceof ApiError && error.status === 403) {
    return (
      <p className="error" role="alert">
        {props.forbidden ?? `${what} needs the OWNER or ADMIN role of an organization, or an operator.`}
      </p>
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      Could not load {what}: {message}
    </p>
  );
}
