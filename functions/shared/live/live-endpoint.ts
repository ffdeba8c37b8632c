// The variable naming the Management API endpoint of the live updates, apart from live-clients.ts so the
// local stack can set it without loading Powertools (whose Logger would be created before the stack sets
// its log level).
export const LIVE_ENDPOINT_ENV = 'LIVE_ENDPOINT';
