// The runbook engine of the running appliance: it drives one escalation state machine per attack
// (escalation-machine.ts) from the attack bus and a clock, runs what the machine decides through the tier
// plugins (the PluginRegistry, or any TierRunner), hands those plugins the guarded facades (facades.ts),
// persists every state and the ledger of routes in SQLite, appends every decision and action to the audit trail
// and publishes mitigation events for the notifiers. It never talks to a daemon itself.
//
// Each mitigation's events are handled one at a time (a queue per mitigation), so its state is never changed by
// two things at once, while a slow tier of one attack delays no other. After a restart it resumes every
// mitigation from its persisted state: the ledger is reconciled with the speaker (orphans withdrawn, vanished
// routes closed), engagements in flight are redone (announcements are idempotent by NLRI, so nothing is
// announced twice), and engaged stages are verified with their tiers at once.
import type { AttackEvent, AttackRecord, Engagement, EngagementStatus, RunbookStage } from '@breakwater/sdk';
import { AuditStore, type AuditEntry } from '../audit/audit-store.js';
import type { DeliveryFailure } from '../notify/outbox.js';
import type { Speaker } from '../bgp/speaker.js';
import type { AttackBus } from '../bus/event-bus.js';
import type { Component } from '../component.js';
import type { Config } from '../config/schema.js';
import { BreakwaterError } from '../errors.js';
import type { Logger } from '../log.js';
import type { TierFacades } from '../plugins/facades.js';
import { databasePath, openDatabase, type DatabaseHandle } from '../storage/sqlite.js';
import type { AttackRateSource } from './effectiveness.js';
import { mitigationKey, startMitigation, step, type Command, type MachineEvent, type MitigationState, type StageError, type Transition } from './escalation-machine.js';
import { MitigationActions, type ActingStage, type FirewallBackend } from './facades.js';
import { FlapDamping, GuardrailRefusal, coveringPrefix, protectedOverlap } from './guardrails.js';
import type { MitigationBus } from './mitigation-events.js';
import { MitigationStore, type StopAllSetting } from './mitigation-store.js';
import { auditEntry, mitigationEvent, runbookStage, summarize, type MitigationSummary } from './mitigation-views.js';
import { effectiveMode, runbooksInForce, selectRunbook, stageEffect, asPrefix } from './runbook.js';
import type { GuardrailsConfig } from './runbook-schema.js';

/** What the engine needs of the plugin registry. */
export interface TierRunner {
  engage(tier: string, attack: AttackRecord, stage: RunbookStage): Promise<Engagement>;
  disengage(tier: string, engagement: Engagement, attack: AttackRecord): Promise<void>;
  verify(tier: string, engagement: Engagement): Promise<EngagementStatus>;
}

export type EngineConfig = Pick<Config, 'dataDir' | 'runbooks' | 'mitigation' | 'bgp'>;

export interface MitigationEngineOptions {
  config: EngineConfig;
  attacks: AttackBus;
  events: MitigationBus;
  tiers: TierRunner;
  speaker?: Speaker;
  firewall?: FirewallBackend;
  rates?: AttackRateSource;
  log: Logger;
  /** ms since the epoch; Date.now unless a test drives time. */
  clock?: () => number;
  /** Run the tick timer (default true); tests call tick() themselves. */
  timer?: boolean;
  /** A mitigation restored after a restart whose attack is not heard of again within this is ended (ms). */
  unseenAfterRestartMs?: number;
}

export class MitigationEngine implements Component {
  readonly name = 'mitigation';
  private config: EngineConfig;
  private readonly clock: () => number;
  private readonly states = new Map<string, MitigationState>();
  /** attack id -> mitigation id (a mitigation folds in attacks that return on the same target and vector). */
  private readonly alias = new Map<string, string>();
  private readonly queues = new Map<string, Promise<void>>();
  /** Guardrail refusals during an engage call, by `${mitigation}#${stage}`: they decide how a failure reads. */
  private readonly refusals = new Map<string, GuardrailRefusal[]>();
  /** Mitigations restored at start and not heard of since: id -> restored at. */
  private readonly restored = new Map<string, number>();
  /**
   * Attacks no runbook takes, by id, with the outcome last audited: runbook.none is written once per attack (an
   * attack is updated about once a second), and again only when what it says changes. Dropped when it ends.
   */
  private readonly unmatched = new Map<string, string>();
  private database: DatabaseHandle | undefined;
  private store: MitigationStore | undefined;
  private auditStore: AuditStore | undefined;
  private actions: MitigationActions | undefined;
  private damping: FlapDamping;
  private stopSetting: StopAllSetting | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastReconcileAt = 0;
  private running = false;
  auditFailures = 0;

  constructor(private readonly options: MitigationEngineOptions) {
    this.config = options.config;
    this.clock = options.clock ?? Date.now;
    this.damping = new FlapDamping(options.config.mitigation.guardrails.flapDamping, (key, entry) => this.store?.saveFlap(key, entry));
  }

  async start(): Promise<void> {
    const { log } = this.options;
    this.database = openDatabase(databasePath(this.config.dataDir));
    this.store = new MitigationStore(this.database.db);
    this.auditStore = new AuditStore(this.database.db);
    for (const [key, entry] of this.store.loadFlaps()) this.damping.load(key, entry);
    this.stopSetting = this.store.stopAll();
    this.actions = new MitigationActions({ host: this.facadeHost(), store: this.store, speaker: this.options.speaker, firewall: this.options.firewall, damping: this.damping, log });
    const now = this.clock();
    for (const state of this.store.loadStates()) {
      this.states.set(state.id, state);
      for (const id of state.attackIds) this.alias.set(id, state.id);
      this.restored.set(state.id, now);
    }
    const reconciled = await this.actions.reconcile({ atStart: true });
    this.audit({ at: now, actor: 'engine', action: 'engine.started', detail: { mitigations: this.states.size, ...reconciled } });
    for (const state of this.states.values()) this.enqueue(state.id, () => this.resumeAfterRestart(state.id));
    // First on the bus: a mitigation starts before the capture, notify and history subscribers do their work.
    this.unsubscribe = this.options.attacks.onAny((event) => this.onAttackEvent(event), { first: true });
    this.running = true;
    if (this.options.timer !== false) {
      this.timer = setInterval(() => this.tick(), this.config.mitigation.tickMs);
      this.timer.unref();
    }
    if (this.effectiveStop() !== undefined) await this.stopAll(this.effectiveStop()!.by);
    log.info({ mitigations: this.states.size, mode: this.config.mitigation.mode, runbooks: runbooksInForce(this.config.runbooks).map((r) => r.name), ...reconciled }, 'mitigation engine started');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    // Mitigations stay in place: they are persisted and resumed at the next start (the speaker's own shutdown
    // policy decides what happens to the routes meanwhile).
    await this.idle();
    this.database?.release();
    this.database = undefined;
  }

  /** The facades one tier plugin gets (the registry asks once per plugin, at load). */
  facadesFor(plugin: string): TierFacades {
    return {
      bgp: {
        announceFlow: (...a) => this.requireActions().facadesFor(plugin).bgp.announceFlow(...a),
        withdrawFlow: (...a) => this.requireActions().facadesFor(plugin).bgp.withdrawFlow(...a),
        announceBlackhole: (...a) => this.requireActions().facadesFor(plugin).bgp.announceBlackhole(...a),
        withdrawBlackhole: (...a) => this.requireActions().facadesFor(plugin).bgp.withdrawBlackhole(...a),
        announceDiversion: (...a) => this.requireActions().facadesFor(plugin).bgp.announceDiversion(...a),
        withdrawDiversion: (...a) => this.requireActions().facadesFor(plugin).bgp.withdrawDiversion(...a),
      },
      firewall: {
        apply: (...a) => this.requireActions().facadesFor(plugin).firewall.apply(...a),
        remove: (...a) => this.requireActions().facadesFor(plugin).firewall.remove(...a),
        counters: async (id) => this.requireActions().facadesFor(plugin).firewall.counters?.(id),
      },
    };
  }

  /** Evaluates timers of every mitigation now (the timer calls this; tests may too). */
  tick(): void {
    if (!this.running) return;
    const now = this.clock();
    const unseenAfter = this.options.unseenAfterRestartMs ?? 120_000;
    for (const state of this.states.values()) {
      const restoredAt = this.restored.get(state.id);
      if (restoredAt !== undefined && state.phase === 'active' && now - restoredAt >= unseenAfter) {
        this.restored.delete(state.id);
        this.dispatch(state.id, { type: 'attack.ended', attack: state.attack, reason: 'not seen again since the restart' });
        continue;
      }
      const rates = this.options.rates?.currentRates(state.attack.id);
      this.dispatch(state.id, { type: 'tick', ...(rates !== undefined ? { rates } : {}) });
    }
    if (now - this.lastReconcileAt >= this.config.mitigation.verifyIntervalSeconds * 1000) {
      this.lastReconcileAt = now;
      void this.actions?.reconcile({ atStart: false }).catch((err: unknown) => this.options.log.error({ err }, 'ledger reconciliation failed'));
    }
  }

  /** Resolves when every queued event and command has been handled. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.allSettled([...this.queues.values()]);
  }

  /** A person approves the stage a mitigation waits on. Throws BW_ERR_MITIGATION_NOT_FOUND. */
  async approve(id: string, user: string): Promise<MitigationSummary> {
    const state = this.find(id);
    if (state === undefined) throw new BreakwaterError('BW_ERR_MITIGATION_NOT_FOUND', [id, 'no such mitigation or attack']);
    if (!state.stages.some((s) => s.status === 'awaiting-approval')) {
      throw new BreakwaterError('BW_ERR_MITIGATION_NOT_FOUND', [id, 'it has no stage awaiting approval']);
    }
    this.dispatch(state.id, { type: 'approved', user });
    await this.queues.get(state.id);
    return summarize(this.states.get(state.id) ?? state);
  }

  /** "Stop all": every mitigation is disengaged, every claim withdrawn, and new ones refused until resume. */
  async stopAll(actor: string): Promise<void> {
    const now = this.clock();
    if (this.stopSetting?.on !== true) {
      this.stopSetting = { on: true, by: actor, at: now };
      this.store?.setStopAll(this.stopSetting);
    }
    this.audit({ at: now, actor: actorOf(actor), action: 'stop-all', reason: 'every mitigation is withdrawn and new ones are refused' });
    this.options.log.warn({ by: actor }, 'stop-all: withdrawing every mitigation');
    for (const state of this.states.values()) this.dispatch(state.id, { type: 'stop-all', actor: actorOf(actor) });
    await this.idle();
    // Whatever a tier left behind, or a mitigation that ended without its claims released, goes too.
    const store = this.requireStore();
    for (const id of new Set(store.openClaims().map((c) => c.mitigationId))) await this.requireActions().sweep(id, undefined, 'stop-all');
  }

  /** Lifts a "stop all" given at run time (the configuration's mitigation.stopAll stays in force if set). */
  resume(actor: string): void {
    const now = this.clock();
    this.stopSetting = { on: false, by: actor, at: now };
    this.store?.setStopAll(this.stopSetting);
    this.audit({ at: now, actor: actorOf(actor), action: 'resume', reason: this.config.mitigation.stopAll ? 'mitigation.stopAll is still set in the configuration' : 'new mitigations allowed again' });
  }

  /**
   * A person withdraws one mitigation: its stages are left now and whatever they hold is released, as "stop all"
   * does, for this mitigation only (new attacks are not refused). Throws BW_ERR_MITIGATION_NOT_FOUND.
   */
  async withdraw(id: string, actor: string): Promise<MitigationSummary> {
    const state = this.find(id);
    if (state === undefined) throw new BreakwaterError('BW_ERR_MITIGATION_NOT_FOUND', [id, 'no such mitigation or attack']);
    this.audit({ at: this.clock(), actor: actorOf(actor), action: 'mitigation.withdrawn', attackId: state.attack.id, target: state.attack.target, runbook: state.runbook.name, reason: 'withdrawn by hand' });
    this.dispatch(state.id, { type: 'stop-all', actor: actorOf(actor) });
    await this.idle();
    await this.requireActions().sweep(state.id, undefined, 'withdrawn by hand');
    return summarize(this.states.get(state.id) ?? state);
  }

  /**
   * Takes a new, already validated configuration: runbooks apply to attacks that start from now on (running
   * mitigations keep the runbook they started with), guardrails and the mode at once.
   */
  async reload(config: EngineConfig): Promise<void> {
    const wasStopped = this.config.mitigation.stopAll;
    this.config = { ...this.config, runbooks: config.runbooks, mitigation: config.mitigation };
    this.damping.configure(config.mitigation.guardrails.flapDamping);
    this.audit({ at: this.clock(), actor: 'engine', action: 'config.reloaded', detail: { runbooks: runbooksInForce(config.runbooks).map((r) => r.name), mode: config.mitigation.mode, stopAll: config.mitigation.stopAll } });
    if (config.mitigation.stopAll && !wasStopped) await this.stopAll('config');
  }

  /** A configuration reload was refused (invalid file): recorded, nothing changes. */
  configRejected(reason: string): void {
    this.audit({ at: this.clock(), actor: 'engine', action: 'config.rejected', reason });
  }

  /** A notification the outbox gave up on goes to the audit trail next to the actions it was about. */
  notificationFailed(failure: DeliveryFailure): void {
    this.audit({
      at: failure.at,
      actor: 'engine',
      action: 'notify.failed',
      attackId: failure.attackId,
      target: failure.target,
      resource: `${failure.channel}:${failure.eventId}`,
      reason: `${failure.code}: ${failure.error}`,
      detail: { channel: failure.channel, event: failure.eventType, why: failure.reason, attempts: failure.attempts },
    });
  }

  list(): MitigationSummary[] {
    return [...this.states.values()].map(summarize);
  }

  /** The /health section. */
  report(): Record<string, unknown> {
    const phases: Record<string, number> = {};
    for (const s of this.states.values()) phases[s.phase] = (phases[s.phase] ?? 0) + 1;
    const stop = this.effectiveStop();
    return {
      mode: this.config.mitigation.mode,
      stopAll: stop === undefined ? false : { by: stop.by, since: new Date(stop.at).toISOString() },
      mitigations: phases,
      openClaims: this.store?.openClaims().length ?? 0,
      awaitingApproval: [...this.states.values()].filter((s) => s.stages.some((st) => st.status === 'awaiting-approval')).map((s) => s.id),
      auditFailures: this.auditFailures,
    };
  }

  private onAttackEvent(event: AttackEvent): void {
    const attack = event.attack;
    const known = this.alias.get(attack.id);
    if (known !== undefined) {
      this.restored.delete(known);
      if (event.type === 'attack.ended') this.dispatch(known, { type: 'attack.ended', attack, reason: event.reason });
      else this.dispatch(known, { type: 'attack.updated', attack });
      return;
    }
    if (event.type === 'attack.ended') {
      this.unmatched.delete(attack.id);
      return;
    }
    // The same target and vector again, while a mitigation for it is cooling (or still active, as after a
    // restart of detection): one incident, one mitigation.
    const key = mitigationKey(attack);
    const current = [...this.states.values()].find((s) => s.key === key && (s.phase === 'cooling' || s.phase === 'active'));
    if (current !== undefined) {
      this.alias.set(attack.id, current.id);
      this.restored.delete(current.id);
      this.dispatch(current.id, { type: 'attack.returned', attack });
      return;
    }
    this.begin(attack);
  }

  private begin(attack: AttackRecord): void {
    const now = this.clock();
    const runbook = selectRunbook(runbooksInForce(this.config.runbooks), attack);
    if (runbook === undefined) {
      const reason = 'no runbook matches the attack: alerts only';
      if (this.unmatched.get(attack.id) === reason) return;
      this.unmatched.set(attack.id, reason);
      this.audit({ at: now, actor: 'engine', action: 'runbook.none', attackId: attack.id, target: attack.target, reason });
      return;
    }
    this.unmatched.delete(attack.id);
    const stopped = this.effectiveStop();
    const mode = stopped !== undefined ? 'detect-only' : effectiveMode(this.config.mitigation.mode, runbook.mode);
    const memory = this.requireStore().recall(mitigationKey(attack));
    const reengage = runbook.reengage.withinSeconds * 1000;
    const startStage = memory !== undefined && memory.runbook === runbook.name && reengage > 0 && now - memory.at <= reengage ? memory.stage : 0;
    const transition = startMitigation({ attack, runbook, mode, startStage, now });
    if (stopped !== undefined) transition.commands.push({ type: 'audit', action: 'mitigation.detect-only', reason: `stop-all is on (${stopped.by})` });
    this.states.set(transition.state.id, transition.state);
    this.alias.set(attack.id, transition.state.id);
    this.enqueue(transition.state.id, () => this.commit(transition));
  }

  private dispatch(id: string, event: MachineEvent): void {
    this.enqueue(id, () => this.process(id, event));
  }

  private enqueue(id: string, work: () => Promise<void>): void {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(work).catch((err: unknown) => this.options.log.error({ err, mitigation: id }, 'mitigation step failed'));
    this.queues.set(id, next);
    void next.then(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    });
  }

  private async process(id: string, event: MachineEvent): Promise<void> {
    const state = this.states.get(id);
    if (state === undefined) return;
    const transition = step(state, event, this.clock(), { verifyIntervalMs: this.config.mitigation.verifyIntervalSeconds * 1000 });
    // A tick or an update that decided nothing changed only the latest rates and record, which are read again
    // after a restart anyway: not worth a synchronous (fsync'ed) write every second per attack.
    const quiet = transition.commands.length === 0 && (event.type === 'tick' || event.type === 'attack.updated');
    await this.commit(transition, !quiet);
  }

  /** Persists the new state with its audit entries, publishes its notices, then runs its actions. */
  private async commit(transition: Transition, persist = true): Promise<void> {
    const { state, commands } = transition;
    const now = this.clock();
    this.states.set(state.id, state);
    if (!persist) return;
    if (state.phase === 'ended') {
      this.states.delete(state.id);
      for (const id of state.attackIds) this.alias.delete(id);
      this.restored.delete(state.id);
    }
    const entries = commands.filter((c): c is Extract<Command, { type: 'audit' }> => c.type === 'audit').map((c) => auditEntry(state, c, now));
    const store = this.requireStore();
    // The state and its audit entries in one transaction: one fsync (synchronous=FULL) before the stage's tier
    // runs, not two. An audit entry that cannot be written is counted and logged inside (its savepoint alone is
    // rolled back); when the state cannot be saved, the entries are written on their own.
    try {
      store.transaction(() => {
        store.saveState(state);
        for (const c of commands) if (c.type === 'remember') store.remember(state.key, { stage: c.stage, runbook: state.runbook.name, at: now });
        this.audit(...entries);
      });
    } catch (err) {
      this.options.log.error({ err, mitigation: state.id }, 'saving the mitigation state failed; it continues in memory');
      this.audit(...entries);
    }
    const maxTtl = this.guardrails().maxTtlSeconds;
    for (const c of commands) {
      if (c.type !== 'notify') continue;
      const event = mitigationEvent(state, c, now, maxTtl);
      this.log(event.type, state, c);
      this.options.events.publish(event);
    }
    for (const c of commands) {
      if (c.type === 'engage') await this.runEngage(state.id, c.stage);
      else if (c.type === 'disengage') await this.runDisengage(state.id, c.stage, c.reason);
      else if (c.type === 'verify') await this.runVerify(state.id, c.stage);
    }
  }

  /** After a restart: redo what was in flight, verify what is engaged. */
  private async resumeAfterRestart(id: string): Promise<void> {
    const state = this.states.get(id);
    if (state === undefined) return;
    this.audit({ at: this.clock(), actor: 'engine', action: 'mitigation.resumed', attackId: state.attack.id, target: state.attack.target, runbook: state.runbook.name, reason: `phase ${state.phase}, stage ${state.top}` });
    for (const st of state.stages) {
      if (st.status === 'engaging') await this.runEngage(id, st.index);
      else if (st.status === 'disengaging') await this.runDisengage(id, st.index, st.leftReason ?? 'resumed after a restart');
      else if (st.status === 'engaged') await this.runVerify(id, st.index);
    }
  }

  private async runEngage(id: string, index: number): Promise<void> {
    const state = this.states.get(id);
    const stage = state?.runbook.stages[index];
    if (state === undefined || stage === undefined) return;
    const refusal = this.refuseBeforeEngage(state, index);
    if (refusal !== undefined) {
      this.audit({ at: this.clock(), actor: 'engine', action: 'action.refused', attackId: state.attack.id, target: state.attack.target, runbook: state.runbook.name, stage: index, stageName: stage.name, tier: stage.tier, reason: refusal.message, detail: { code: refusal.code, guardrail: refusal.guardrail } });
      return this.process(id, { type: 'engage.failed', stage: index, error: { code: refusal.code, message: refusal.message, guardrail: refusal.guardrail } });
    }
    const key = `${id}#${index}`;
    this.refusals.set(key, []);
    let result: { ok: true; engagement: Engagement } | { ok: false; err: unknown };
    try {
      result = { ok: true, engagement: await this.options.tiers.engage(stage.tier, state.attack, runbookStage(state, index, this.guardrails().maxTtlSeconds)) };
    } catch (err) {
      result = { ok: false, err };
    }
    const refused = this.refusals.get(key) ?? [];
    this.refusals.delete(key);
    if (result.ok) {
      // The tier swallowed a refusal and engaged anyway: the refusal is still told.
      for (const r of refused) this.publishRefusal(id, index, r);
      return this.process(id, { type: 'engage.succeeded', stage: index, engagement: result.engagement });
    }
    // Whatever the tier put in place before it failed is taken back: a failed stage holds nothing.
    await this.requireActions().sweep(id, index, 'the stage failed');
    const first = refused[0];
    const error: StageError = first !== undefined ? { code: first.code, message: first.message, guardrail: first.guardrail } : describeError(result.err);
    for (const r of refused.slice(1)) this.publishRefusal(id, index, r);
    return this.process(id, { type: 'engage.failed', stage: index, error });
  }

  private async runDisengage(id: string, index: number, reason: string): Promise<void> {
    const state = this.states.get(id);
    const st = state?.stages[index];
    if (state === undefined || st === undefined) return;
    let error: StageError | undefined;
    const engagement = st.engagement;
    if (engagement !== undefined) {
      const sharer = [...this.states.values()].find((s) => s.id !== id && s.stages.some((o) => o.tier === st.tier && o.status === 'engaged' && o.engagement?.id === engagement.id));
      if (sharer !== undefined) {
        this.audit({ at: this.clock(), actor: 'engine', action: 'stage.shared', attackId: state.attack.id, stage: index, tier: st.tier, resource: engagement.id, reason: `kept: mitigation ${sharer.id} holds the same engagement` });
      } else {
        try {
          await this.options.tiers.disengage(st.tier, engagement, state.attack);
        } catch (err) {
          error = describeError(err);
          this.options.log.warn({ mitigation: id, stage: index, tier: st.tier, err }, 'tier disengage failed; its routes are withdrawn by the engine');
        }
      }
    }
    const swept = await this.requireActions().sweep(id, index, `${reason} (left by the tier)`);
    if (swept > 0 && error === undefined) this.options.log.info({ mitigation: id, stage: index, swept }, 'withdrew what the tier left behind');
    return this.process(id, { type: 'disengage.finished', stage: index, ...(error !== undefined ? { error } : {}) });
  }

  private async runVerify(id: string, index: number): Promise<void> {
    const state = this.states.get(id);
    const st = state?.stages[index];
    if (state === undefined || st?.engagement === undefined) return;
    let status: EngagementStatus;
    try {
      status = await this.options.tiers.verify(st.tier, st.engagement);
    } catch (err) {
      // A verify that fails says nothing about the mitigation; it is not taken as gone.
      status = { state: 'degraded', detail: `verify failed: ${describeError(err).message}` };
    }
    // The ledger's view: the speaker must still hold every route the stage put in place.
    const health = this.requireActions().stageHealth(id, index);
    if (health.missing.length > 0 && status.state !== 'gone') {
      const all = health.missing.length >= health.claims;
      status = { ...status, state: all ? 'gone' : 'degraded', detail: `the speaker no longer holds ${health.missing.join(', ')}` };
    }
    return this.process(id, { type: 'verified', stage: index, status });
  }

  /** Guardrails that apply before a tier runs: stop-all, and protected prefixes for blackhole and divert stages. */
  private refuseBeforeEngage(state: MitigationState, index: number): GuardrailRefusal | undefined {
    const stage = state.runbook.stages[index]!;
    const stopped = this.effectiveStop();
    if (stopped !== undefined) return new GuardrailRefusal('stop-all', 'BW_ERR_MITIGATION_STOPPED', [stopped.by, `stage ${stage.name}`]);
    const effect = stageEffect(stage);
    if (effect === 'filter') return undefined;
    const g = this.guardrails();
    const prefix = effect === 'divert' ? coveringPrefix(state.attack.target, g.diversionPrefixLength) : asPrefix(state.attack.target);
    const hit = protectedOverlap(prefix, g);
    if (hit === undefined) return undefined;
    return new GuardrailRefusal('protected-prefix', 'BW_ERR_MITIGATION_PROTECTED', [`${effect === 'divert' ? 'Diversion' : 'Blackholing'} (stage ${stage.name})`, prefix, hit]);
  }

  private publishRefusal(id: string, index: number, refusal: GuardrailRefusal): void {
    const state = this.states.get(id);
    if (state === undefined) return;
    const event = mitigationEvent(state, { type: 'notify', notice: 'mitigation.failed', stage: index, error: { code: refusal.code, message: refusal.message, guardrail: refusal.guardrail } }, this.clock(), this.guardrails().maxTtlSeconds);
    this.options.events.publish(event);
  }

  private facadeHost() {
    return {
      now: () => this.clock(),
      guardrails: () => this.guardrails(),
      stoppedBecause: () => this.effectiveStop()?.by,
      actingStage: (plugin: string, attackId: string): ActingStage | undefined => {
        const mitigation = this.find(attackId);
        if (mitigation === undefined) return undefined;
        const mine = mitigation.stages.filter((s) => s.tier === plugin);
        const stage = mine.find((s) => s.status === 'engaging') ?? mine.filter((s) => s.status === 'engaged').at(-1);
        return stage === undefined ? undefined : { mitigation, stage };
      },
      refused: (plugin: string, attackId: string, what: string, refusal: GuardrailRefusal, acting: ActingStage | undefined) => {
        const mitigation = acting?.mitigation ?? this.find(attackId);
        this.options.log.warn({ plugin, attack: attackId, code: refusal.code, guardrail: refusal.guardrail }, `refused: ${refusal.message}`);
        this.audit({
          at: this.clock(),
          actor: `plugin:${plugin}`,
          action: 'action.refused',
          attackId,
          ...(mitigation !== undefined ? { target: mitigation.attack.target, runbook: mitigation.runbook.name } : {}),
          ...(acting !== undefined ? { stage: acting.stage.index, stageName: acting.stage.name } : {}),
          tier: plugin,
          reason: refusal.message,
          detail: { code: refusal.code, guardrail: refusal.guardrail, what },
        });
        const during = acting !== undefined ? this.refusals.get(`${acting.mitigation.id}#${acting.stage.index}`) : undefined;
        if (during !== undefined) during.push(refusal);
        else if (acting !== undefined) this.publishRefusal(acting.mitigation.id, acting.stage.index, refusal);
      },
      audit: (entry: Omit<AuditEntry, 'at'>) => {
        // Ledger entries name the mitigation; the audit trail also wants its target, runbook and stage name.
        const m = entry.attackId !== undefined ? this.find(entry.attackId) : undefined;
        const stageName = entry.stage !== undefined ? m?.runbook.stages[entry.stage]?.name : undefined;
        this.audit({
          at: this.clock(),
          ...(m !== undefined ? { target: m.attack.target, runbook: m.runbook.name } : {}),
          ...(stageName !== undefined ? { stageName } : {}),
          ...entry,
        });
      },
      bgpPeers: () => this.config.bgp.peers,
      rtbhCommunities: () => this.config.bgp.rtbh.communities,
    };
  }

  private audit(...entries: AuditEntry[]): void {
    if (entries.length === 0) return;
    try {
      this.auditStore?.append(...entries);
    } catch (err) {
      this.auditFailures++;
      this.options.log.error({ err, code: 'BW_ERR_AUDIT_WRITE', entries }, 'audit entries could not be written');
    }
  }

  private log(notice: string, state: MitigationState, c: Extract<Command, { type: 'notify' }>): void {
    const fields = { mitigation: state.id, attack: state.attack.id, target: state.attack.target, runbook: state.runbook.name, stage: c.stage, reason: c.reason, error: c.error };
    if (notice === 'mitigation.failed' || notice === 'runbook.exhausted') this.options.log.warn(fields, notice);
    else this.options.log.info(fields, notice);
  }

  private find(id: string): MitigationState | undefined {
    return this.states.get(this.alias.get(id) ?? id);
  }

  private guardrails(): GuardrailsConfig {
    return this.config.mitigation.guardrails;
  }

  private effectiveStop(): { by: string; at: number } | undefined {
    if (this.config.mitigation.stopAll) return { by: 'mitigation.stopAll in the configuration', at: this.stopSetting?.at ?? 0 };
    return this.stopSetting?.on === true ? { by: this.stopSetting.by, at: this.stopSetting.at } : undefined;
  }

  private requireStore(): MitigationStore {
    if (this.store === undefined) throw new BreakwaterError('BW_ERR_STORAGE', [databasePath(this.config.dataDir), 'the mitigation engine is not started']);
    return this.store;
  }

  private requireActions(): MitigationActions {
    if (this.actions === undefined) throw new BreakwaterError('BW_ERR_STORAGE', [databasePath(this.config.dataDir), 'the mitigation engine is not started']);
    return this.actions;
  }
}

function actorOf(who: string): string {
  return who === 'engine' || who === 'config' || who.includes(':') ? who : `user:${who}`;
}

/** A stage error from whatever a tier call threw: the innermost coded cause says most. */
function describeError(err: unknown): StageError {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  let code = typeof e?.code === 'string' ? e.code : 'BW_ERR_PLUGIN_HOOK';
  let message = typeof e?.message === 'string' ? e.message : String(err);
  let cause = e?.cause as { code?: unknown; cause?: unknown } | undefined;
  while (cause !== undefined && cause !== null) {
    if (typeof cause.code === 'string' && cause.code.startsWith('BW_ERR_MITIGATION_')) {
      code = cause.code;
      message = String((cause as { message?: unknown }).message ?? message);
      const guardrail = (cause as { details?: { guardrail?: string } }).details?.guardrail;
      return guardrail !== undefined ? { code, message, guardrail } : { code, message };
    }
    cause = cause.cause as typeof cause;
  }
  return { code, message };
}
