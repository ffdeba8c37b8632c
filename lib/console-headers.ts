// The security headers of the console's pages, in one place: CloudFront sends them on AWS (lib/console.ts,
// with the deploy-time URLs as tokens) and the browser tests lay them over the local stack's responses, so
// a console that breaks its own Content-Security-Policy fails a test here rather than in production.
// Pure: no CDK imports.

export interface ConsoleOrigins {
  /** The HTTP API's base URL. */
  readonly apiUrl: string;
  /** The WebSocket URL (`wss://…/live`), when the stack has one. */
  readonly liveUrl?: string;
  /** What the OIDC sign-in fetches from the page: the Cognito domain (its token endpoint). */
  readonly oidcUrls?: readonly string[];
}

/** HSTS max-age: two years, the preload list's minimum is one. */
export const HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 60 * 60;

/**
 * The Content-Security-Policy: the page's own files only (no inline script, no eval, no third-party host),
 * and requests only to the API, the WebSocket and the OIDC endpoints. `style-src 'unsafe-inline'` is
 * absent: the build emits its CSS as files, and styles React sets go through the CSSOM, which CSP allows.
 */
export function contentSecurityPolicy(origins: ConsoleOrigins): string {
  const connect = [
    "'self'",
    origins.apiUrl,
    ...(origins.liveUrl ? [origins.liveUrl] : []),
    ...(origins.oidcUrls ?? []),
  ];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Every header as a browser receives it (the local form; CloudFront takes them as a policy). */
export function consoleSecurityHeaders(origins: ConsoleOrigins): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(origins),
    'strict-transport-security': `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };
}
