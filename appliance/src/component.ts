// The lifecycle every long-lived part of the appliance follows: constructed inert, started explicitly,
// stopped within a bound so that one hung part cannot block shutdown (or the withdrawal of routes).

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs stop() but gives up after timeoutMs, reporting which component hung instead of waiting forever. */
export async function stopWithin(component: Component, timeoutMs: number): Promise<'stopped' | 'timeout' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([component.stop().then(() => 'stopped' as const), timeout]);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
  }
}
