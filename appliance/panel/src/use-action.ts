// Running a change (a button): busy while it runs, its ApiError kept for <ErrorBox>, a message once it worked.
import { useCallback, useState } from 'preact/hooks';
import type { ApiError } from './api';
import { toApiError } from './use-api';

export interface Action {
  busy: boolean;
  error: ApiError | undefined;
  done: string | undefined;
  run(work: () => Promise<string | void>): Promise<void>;
  clear(): void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const run = useCallback(async (work: () => Promise<string | void>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const message = await work();
      setDone(message ?? undefined);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(undefined);
    setDone(undefined);
  }, []);
  return { busy, error, done, run, clear };
}
