// Loss accounting for one sFlow sequence (an agent's datagram sequence, or one source's flow-sample sequence).
// Loss is counted, not inferred from each gap: lost = (highest − first + 1) − received over the current epoch.
// That stays right when datagrams arrive out of order, which they do when several decoder processes share a
// socket and their batches interleave: a late arrival fills the hole it left. A sequence that jumps far back,
// or an agent whose uptime went backwards, starts a new epoch (an agent restart, not a 4-billion gap).

/** How far back (in sequence numbers) a number may arrive and still be a late arrival, not a restart. */
export const reorderWindow = 65536;
/** A forward jump beyond this is taken as a restart with a new starting point, not as loss. */
export const maxForwardJump = 1 << 24;

export class SequenceTracker {
  private started = false;
  private restartPending = false;
  private first = 0;
  private highest = 0;
  private received = 0;
  /** Loss of closed epochs. */
  private lostBefore = 0;
  /** Forward jumps (a hole opened), late arrivals (a number below the highest seen), restarts. */
  gaps = 0;
  late = 0;
  resets = 0;

  /** Accounts one sequence number (u32). */
  see(seq: number): void {
    if (!this.started) {
      this.startEpoch(seq);
      return;
    }
    if (this.restartPending) {
      this.restartPending = false;
      this.reset(seq);
      return;
    }
    const d = (seq - this.highest) | 0;
    if (d === 1) {
      this.highest = seq >>> 0;
      this.received++;
    } else if (d > 1) {
      if (d > maxForwardJump) {
        this.reset(seq);
        return;
      }
      this.gaps++;
      this.highest = seq >>> 0;
      this.received++;
    } else if (-d < reorderWindow) {
      // Late: below the highest seen. Below the epoch's first number too when batches from several decoder
      // processes interleave at the start: the epoch then began earlier than first thought.
      if (((seq - this.first) | 0) < 0) this.first = seq >>> 0;
      this.late++;
      this.received++;
    } else {
      this.reset(seq);
    }
  }

  /** The source is known to have restarted (its agent's uptime went back): the next number opens an epoch. */
  markRestart(): void {
    if (this.started) this.restartPending = true;
  }

  /** Starts a new epoch at seq: the source restarted. */
  reset(seq: number): void {
    this.lostBefore += this.openLoss();
    this.resets++;
    this.startEpoch(seq);
  }

  /** Sequence numbers never received, over all epochs (never negative: duplicates do not create credit). */
  get lost(): number {
    return this.lostBefore + this.openLoss();
  }

  get expectedInEpoch(): number {
    return this.started ? ((this.highest - this.first) >>> 0) + 1 : 0;
  }

  private openLoss(): number {
    if (!this.started) return 0;
    return Math.max(0, this.expectedInEpoch - this.received);
  }

  private startEpoch(seq: number): void {
    this.started = true;
    this.first = seq >>> 0;
    this.highest = seq >>> 0;
    this.received = 1;
  }
}
