// Runs an idempotent job (write the whole desired-state file, rewrite BIRD's include file and reconfigure)
// at most once at a time, folding every request that arrives while a run is in progress into ONE next run.
// Each caller's promise settles with the first run that started after its request, so it is guaranteed to
// reflect the caller's change; 1,000 concurrent requests cost two runs, not 1,000.
export class CoalescingRunner {
  private running: Promise<void> | undefined;
  private next: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;

  constructor(private readonly job: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.next !== undefined) return this.next.promise;
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.next = { promise, resolve, reject };
    if (this.running === undefined) this.startNext();
    return promise;
  }

  /** Resolves when no run is in progress or queued. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
  }

  private startNext(): void {
    const waiting = this.next;
    if (waiting === undefined) return;
    this.next = undefined;
    const run = (async () => this.job())();
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    run.then(waiting.resolve, waiting.reject).finally(() => {
      this.running = undefined;
      this.startNext();
    });
  }
}
