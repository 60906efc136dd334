// An editor for one configuration section the API can replace (peers, a plugin's settings, notifier channels,
// host groups): the section as YAML (JSON is YAML too), saved whole by an admin through the section's PUT route,
// which validates the whole configuration first. A refusal is shown with its code and every failing path; a
// save says what applied at once and what waits for a restart. Secrets appear masked as the API shows them; a
// masked value left as it is keeps the configured secret (the API restores it). After a save the editor keeps
// the saved text: the API shows the configuration in force, which for restart-only sections is still the old one.
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

export function ConfigEditor({ name, what, value, path, toBody, admin, rows }: ConfigEditorProps) {
  const shown = stringify(value ?? null);
  const [text, setText] = useState(shown);
  const [dirty, setDirty] = useState(false);
  const action = useAction();
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
      return changeSummary(r);
    });
  return (
    <div class="config-editor" data-testid={`editor-${name}`}>
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
