// An editor for one configuration section the API can replace (peers, a plugin's settings, notifier channels,
// host groups): the section as YAML (JSON is YAML too), saved whole by an admin through the section's PUT route,
// which validates the whole configuration first. A refusal is shown with its code and every failing path; a
// save says what applied at once and what waits for a restart. Secrets appear masked as the API shows them; a
// masked value left as it is keeps the configured secret (the API restores it). The API shows the configuration
// in force, which for a section that waits for a restart is still the old one: the saved text is remembered for
// the browser tab (sessionStorage) and shown instead, marked as waiting, until the section in force changes.
import { useEffect, useState } from 'preact/hooks';
import { parse, stringify } from 'yaml';
import { api, ApiError } from '../api';
import { ErrorBox } from './error-box';
import { useAction } from '../use-action';

export interface ConfigChangeResult {
  changed: string[];
  applied: string[];
  restartNeeded: string[];
}

export interface ConfigEditorProps {
  /** The textarea's name (tests and labels). */
  name: string;
  /** What is edited, for labels and messages ("peers"). */
  what: string;
  /** The section as the API shows it (secrets masked). */
  value: unknown;
  /** The PUT route below /api/v1. */
  path: string;
  /** The request body from the parsed text (default: the text's document as it is). */
  toBody?: (doc: unknown) => unknown;
  admin: boolean;
  /** Rows of the textarea. */
  rows?: number;
}

/** The answer of a configuration change, in words. */
export function changeSummary(r: ConfigChangeResult): string {
  if (r.changed.length === 0) return 'Nothing changed.';
  return `Saved. Applied now: ${r.applied.join(', ') || 'nothing'}${r.restartNeeded.length > 0 ? `; needs a restart: ${r.restartNeeded.join(', ')}` : ''}.`;
}

/** A save that waits for a restart: the text saved, and the section in force when it was saved. */
interface Pending {
  inForce: string;
  saved: string;
}

const SECRET_KEY = /token|secret|password|credential|private.?key/i;

/** The document with every secret masked as the API masks them (a masked value sent back keeps the saved one). */
function masked(doc: unknown, secretsHere = false): unknown {
  if (Array.isArray(doc)) return doc.map((d) => masked(d, secretsHere));
  if (doc === null || typeof doc !== 'object') return secretsHere && typeof doc === 'string' && doc !== '' ? '••••' : doc;
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, typeof v === 'string' ? (secretsHere || SECRET_KEY.test(k) ? (v === '' ? v : '••••') : v) : masked(v, secretsHere || k === 'secrets')]));
}

function pendingOf(path: string, inForce: string): Pending | undefined {
  try {
    const raw = sessionStorage.getItem(`bw-pending:${path}`);
    const p = raw === null ? undefined : (JSON.parse(raw) as Pending);
    // The section in force changed (a restart, or someone else's change): the remembered text is stale.
    if (p !== undefined && p.inForce !== inForce) sessionStorage.removeItem(`bw-pending:${path}`);
    return p?.inForce === inForce ? p : undefined;
  } catch {
    return undefined;
  }
}

function rememberPending(path: string, p: Pending | undefined): void {
  try {
    if (p === undefined) sessionStorage.removeItem(`bw-pending:${path}`);
    else sessionStorage.setItem(`bw-pending:${path}`, JSON.stringify(p));
  } catch {
    // No storage (private mode): the editor shows the section in force, as the API does.
  }
}

export function ConfigEditor({ name, what, value, path, toBody, admin, rows }: ConfigEditorProps) {
  const inForce = stringify(value ?? null);
  const [pending, setPending] = useState(() => pendingOf(path, inForce));
  const shown = pending?.saved ?? inForce;
  const [text, setText] = useState(shown);
  const [dirty, setDirty] = useState(false);
  const action = useAction();
  useEffect(() => setPending(pendingOf(path, inForce)), [path, inForce]);
  useEffect(() => {
    if (!dirty) setText(shown);
  }, [shown, dirty]);
  const save = () =>
    action.run(async () => {
      let doc: unknown;
      try {
        doc = parse(text);
      } catch (err) {
        throw new ApiError(0, 'NOT_YAML', `The ${what} are not YAML: ${(err as Error).message.split('\n')[0]}`, { problems: [{ path: '(text)', message: 'not YAML' }] });
      }
      const r = await api<ConfigChangeResult>(path, { method: 'PUT', body: toBody !== undefined ? toBody(doc) : doc });
      // Secrets typed in are not kept in the editor nor in the tab's storage: masked, as the API shows them.
      const saved = stringify(masked(doc) ?? null);
      const waiting = r.restartNeeded.length > 0 ? { inForce, saved } : undefined;
      rememberPending(path, waiting);
      setPending(waiting);
      setText(saved);
      setDirty(false);
      return changeSummary(r);
    });
  return (
    <div class="config-editor" data-testid={`editor-${name}`}>
      {pending !== undefined ? (
        <p class="muted small" data-testid="pending-restart">
          Shown: the {what} as saved, waiting for a restart (the appliance still runs the previous ones).
        </p>
      ) : null}
      <textarea
        class="editor short"
        name={name}
        rows={rows}
        spellcheck={false}
        value={text}
        readOnly={!admin}
        aria-label={`${what} (YAML)`}
        onInput={(e) => {
          setText(e.currentTarget.value);
          setDirty(true);
          action.clear();
        }}
      />
      <ErrorBox error={action.error} title={`${what[0]!.toUpperCase()}${what.slice(1)} not saved`} />
      {action.done !== undefined ? (
        <p class="ok-text" role="status">
          {action.done}
        </p>
      ) : null}
      {admin ? (
        <div class="buttons">
          <button type="button" class="primary" disabled={action.busy} onClick={() => void save()}>
            Save {what}
          </button>
          <button
            type="button"
            class="link"
            onClick={() => {
              setText(shown);
              setDirty(false);
              action.clear();
            }}
          >
            Revert
          </button>
        </div>
      ) : (
        <p class="muted small">Only an admin may change the {what}.</p>
      )}
    </div>
  );
}
