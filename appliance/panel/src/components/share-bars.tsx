// Shares of an attack's traffic (vectors, sources, ports) as labelled bars. The bar width is set through the
// CSSOM (element.style), which the Content-Security-Policy allows, unlike an inline style attribute.
import { useEffect, useRef } from 'preact/hooks';
import { percent, pps } from '../format';

export interface ShareRow {
  key: string | number;
  share: number;
  pps: number;
}

function Bar({ share }: { share: number }) {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (ref.current !== null) ref.current.style.width = `${Math.max(1, Math.min(100, share * 100))}%`;
  }, [share]);
  return (
    <span class="bar">
      <span class="bar-fill" ref={ref} />
    </span>
  );
}

export function ShareBars({ rows, empty }: { rows: ShareRow[]; empty: string }) {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="shares">
      <tbody>
        {rows.map((r) => (
          <tr key={String(r.key)}>
            <td class="mono">{String(r.key)}</td>
            <td class="bar-cell">
              <Bar share={r.share} />
            </td>
            <td class="num">{percent(r.share)}</td>
            <td class="num">{pps(r.pps)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
