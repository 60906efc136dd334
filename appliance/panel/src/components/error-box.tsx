// A failure as the API gave it: the stable code, the message, and each failing path of a validation error.
import type { ApiError, Problem } from '../api';

export function ErrorBox({ error, title }: { error: ApiError | undefined; title?: string }) {
  if (error === undefined) return null;
  return (
    <div class="error-box" role="alert">
      <strong>{title ?? 'Error'}</strong> <code class="error-code">{error.code}</code>
      <p class="error-message">{error.message}</p>
      <ProblemList problems={error.problems} />
    </div>
  );
}

export function ProblemList({ problems }: { problems: Problem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul class="problems">
      {problems.map((p, i) => (
        <li key={i}>
          <code>{p.path || '/'}</code> {p.message}
        </li>
      ))}
    </ul>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}
