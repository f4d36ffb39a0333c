import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** A value loaded by `load`, again every `everyMs` (0: once) and whenever `deps` change. */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[] = []) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(load);
  latest.current = load;
  const generation = useRef(0);
  const pending = useRef(false);
  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    pending.current = true;
    try {
      const v = await latest.current();
      if (mine !== generation.current) return; // an older answer arriving late
      setValue(v);
      setError(null);
    } catch (err) {
      if (mine === generation.current) setError((err as Error).message);
    } finally {
      if (mine === generation.current) pending.current = false;
    }
  }, []);
  useEffect(() => {
    void refresh();
    if (everyMs <= 0) return;
    // A poll waits for the one before: a slow server is not sent a pile of requests.
    const timer = setInterval(() => pending.current || void refresh(), everyMs);
    return () => clearInterval(timer);
  }, deps);
  return { value, error, refresh };
}
