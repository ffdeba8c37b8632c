// Who is signed in (GET /me): shown in the header, and what decides whether the admin listings apply.
import { useQuery } from '@tanstack/react-query';
import { useCredential } from '../auth/session';
import { useApi } from './api-context';
import type { Identity } from './types';

export function useIdentity() {
  const api = useApi();
  const credential = useCredential();
  return useQuery({
    queryKey: ['me', credential],
    enabled: credential !== undefined,
    staleTime: 5 * 60_000,
    retry: false,
    // A credential this deployment refuses outright ends the session.
    queryFn: ({ signal }) => api.get<Identity>('/me', { signal, forbiddenSignsOut: true }),
  });
}

/** OWNER and ADMIN read their org through /admin; OPERATOR reads every org there. */
export const canUseAdminRoutes = (identity: Identity | undefined): boolean =>
  identity !== undefined && identity.role !== 'MEMBER';
