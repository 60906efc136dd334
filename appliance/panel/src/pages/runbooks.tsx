// The runbook editor: the configured runbooks as YAML (JSON is YAML too), validated by the appliance before
// saving (POST /runbooks/validate: every problem with its path), saved whole (PUT /runbooks, admin), and
// dry-run against a recorded attack (POST /runbooks/dry-run) to see which stages it would have engaged when.
import { useEffect, useState } from 'preact/hooks';
import { parse, stringify } from 'yaml';
import { api, ApiError, type Problem } from '../api';
import { ErrorBox, Loading, ProblemList } from '../components/error-box';
import { time } from '../format';
import { useCan } from '../session';
import type { AttackItem } from '../types';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

interface RunbooksResponse {
  runbooks: Record<string, unknown>[];
  inForce: string[];
  mode: string;
}

interface DryRun {
  matches: boolean;
  mode: string;
  steps: { at: number; offsetSeconds: number; action: string; stage?: number; stageName?: string; reason?: string }[];
  stages: { name: string; tier: string; engagedAfterSeconds?: number; leftAfterSeconds?: number; leftReason?: string }[];
  truncated: boolean;
}

/** The editor's text as a list of runbooks, or a problem saying why it is not one. */
function parseDraft(text: string): { runbooks: unknown[] } | { problem: Problem } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return { problem: { path: '(text)', message: `not YAML: ${(err as Error).message.split('\n')[0]}` } };
  }
  if (doc === null || doc === undefined) return { runbooks: [] };
  if (Array.isArray(doc)) return { runbooks: doc };
  if (typeof doc === 'object' && Array.isArray((doc as { runbooks?: unknown }).runbooks)) return { runbooks: (doc as { runbooks: unknown[] }).runbooks };
  return { problem: { path: '/runbooks', message: 'expected a list of runbooks (or a map with a runbooks: list)' } };
}

function DryRunPanel({ draft }: { draft: unknown[] }) {
  const attacks = useApi<{ attacks: AttackItem[] }>('/attacks?limit=50');
  const [attackId, setAttackId] = useState('');
  const [which, setWhich] = useState(0);
  const [result, setResult] = useState<DryRun | undefined>();
  const action = useAction();
  const names = draft.map((r, i) => String((r as { name?: unknown })?.name ?? `#${i + 1}`));
  const run = () =>
    action.run(async () => {
      setResult(undefined);
      setResult(await api<DryRun>('/runbooks/dry-run', { method: 'POST', body: { runbook: draft[which] ?? {}, attackId } }));
    });
  return (
    <section class="card wide">
      <h2>Dry run against a past attack</h2>
      <ErrorBox error={attacks.error} title="Attacks unavailable" />
      <div class="filters">
        <select value={String(which)} onChange={(e) => setWhich(Number(e.currentTarget.value))} aria-label="runbook">
          {names.map((n, i) => (
            <option key={i} value={String(i)}>
              {n}
            </option>
          ))}
        </select>
        <select value={attackId} onChange={(e) => setAttackId(e.currentTarget.value)} aria-label="attack">
          <option value="">choose an attack…</option>
          {(attacks.data?.attacks ?? []).map(({ attack: a }) => (
            <option key={a.id} value={a.id}>
              {time(a.startedAt)} {a.vector} on {a.target}
            </option>
          ))}
        </select>
        <button type="button" disabled={action.busy || attackId === '' || draft.length === 0} onClick={() => void run()}>
          Dry run
        </button>
      </div>
      <ErrorBox error={action.error} title="Dry run failed" />
      {result !== undefined ? (
        <div data-testid="dry-run-result">
          <p>
            {result.matches ? 'The runbook matches this attack' : 'The runbook does NOT match this attack'} (mode {result.mode}){result.truncated ? '; the run was cut at its bound' : ''}.
          </p>
          <table>
            <thead>
              <tr>
                <th>stage</th>
                <th>tier</th>
                <th class="num">engaged after</th>
                <th class="num">left after</th>
              </tr>
            </thead>
            <tbody>
              {result.stages.map((s) => (
                <tr key={s.name}>
                  <td>{s.name}</td>
                  <td>{s.tier}</td>
                  <td class="num">{s.engagedAfterSeconds !== undefined ? `${s.engagedAfterSeconds} s` : 'never'}</td>
                  <td class="num">{s.leftAfterSeconds !== undefined ? `${s.leftAfterSeconds} s (${s.leftReason ?? ''})` : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <ol class="timeline">
            {result.steps.map((s, i) => (
              <li key={i}>
                <span class="muted">+{s.offsetSeconds} s</span> <strong>{s.action}</strong> {s.stageName ?? ''} <span class="muted small">{s.reason ?? ''}</span>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
    </section>
  );
}

export function RunbooksPage() {
  const admin = useCan('admin');
  const current = useApi<RunbooksResponse>('/runbooks');
  const [text, setText] = useState('');
  const [problems, setProblems] = useState<Problem[] | undefined>();
  const action = useAction();
  useEffect(() => {
    if (current.data !== undefined) setText(stringify(current.data.runbooks));
  }, [current.data]);

  const parsed = parseDraft(text);
  const draft = 'runbooks' in parsed ? parsed.runbooks : [];

  /** Asks the appliance; true when the draft is valid. */
  const validate = async (): Promise<boolean> => {
    const p = parseDraft(text);
    if ('problem' in p) {
      setProblems([p.problem]);
      return false;
    }
    const r = await api<{ ok: boolean; problems: Problem[] }>('/runbooks/validate', { method: 'POST', body: { runbooks: p.runbooks } });
    setProblems(r.problems);
    return r.ok;
  };

  const onValidate = () => action.run(async () => ((await validate()) ? 'Valid: the appliance accepts these runbooks.' : undefined));
  const onSave = () =>
    action.run(async () => {
      if (!(await validate())) return;
      try {
        const r = await api<{ changed: string[]; applied: string[]; restartNeeded: string[] }>('/runbooks', { method: 'PUT', body: { runbooks: draft } });
        current.reload();
        return `Saved. Applied now: ${r.applied.join(', ') || 'nothing'}${r.restartNeeded.length > 0 ? `; needs a restart: ${r.restartNeeded.join(', ')}` : ''}.`;
      } catch (err) {
        if (err instanceof ApiError && err.problems.length > 0) setProblems(err.problems);
        throw err;
      }
    });

  return (
    <div>
      <h1>Runbooks</h1>
      <ErrorBox error={current.error} title="Runbooks unavailable" />
      {current.data === undefined ? (
        <Loading what="runbooks" />
      ) : (
        <div class="grid">
          <section class="card wide">
            <p class="muted">
              Mode <strong>{current.data.mode}</strong>; in force: {current.data.inForce.join(', ') || 'none'}
              {current.data.runbooks.length === 0 ? ' (the built-in default: none is configured)' : ''}. YAML or JSON; see docs/runbooks.md.
            </p>
            <textarea
              class="editor"
              name="runbooks"
              spellcheck={false}
              value={text}
              onInput={(e) => {
                setText(e.currentTarget.value);
                setProblems(undefined);
                action.clear();
              }}
              readOnly={!admin}
              aria-label="runbooks (YAML)"
            />
            {problems !== undefined && problems.length > 0 ? (
              <div class="error-box" role="alert" data-testid="validation-problems">
                <strong>Not valid</strong> — fix these before saving:
                <ProblemList problems={problems} />
              </div>
            ) : null}
            <ErrorBox error={action.error} title={admin ? 'Not saved' : 'Failed'} />
            {action.done !== undefined ? (
              <p class="ok-text" role="status">
                {action.done}
              </p>
            ) : null}
            <div class="buttons">
              <button type="button" disabled={action.busy} onClick={() => void onValidate()}>
                Validate
              </button>
              {admin ? (
                <button type="button" class="primary" disabled={action.busy} onClick={() => void onSave()}>
                  Save
                </button>
              ) : (
                <span class="muted small">Only an admin may change runbooks.</span>
              )}
              <button
                type="button"
                class="link"
                onClick={() => {
                  setText(stringify(current.data?.runbooks ?? []));
                  setProblems(undefined);
                  action.clear();
                }}
              >
                Revert
              </button>
            </div>
          </section>
          <DryRunPanel draft={draft} />
        </div>
      )}
    </div>
  );
}
