// BGP peers: each configured router with the speaker's live session state (GET /peers, refreshed on `peers`
// events). Peer changes need a restart; they are made in the configuration file or PUT /peers.
import { useCallback } from 'preact/hooks';
import { StateBadge } from '../components/badges';
import { ErrorBox, Loading } from '../components/error-box';
import { ago } from '../format';
import { useLiveEvent } from '../live';
import type { PeersResponse } from '../types';
import { useApi } from '../use-api';

export function PeersPage() {
  const p = useApi<PeersResponse>('/peers');
  useLiveEvent('peers', useCallback(() => p.reload(), [p.reload]));
  return (
    <section>
      <h1>BGP peers</h1>
      <ErrorBox error={p.error} title="Peers unavailable" />
      {p.data === undefined ? (
        <Loading what="peers" />
      ) : (
        <>
          <p class="muted">
            Speaker <strong>{p.data.speaker}</strong>, local AS {p.data.localAsn}.
          </p>
          {p.data.peers.length === 0 ? (
            <p class="muted">No peer configured.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>name</th>
                    <th>address</th>
                    <th class="num">AS</th>
                    <th>families</th>
                    <th>state</th>
                    <th>since</th>
                    <th>info</th>
                  </tr>
                </thead>
                <tbody>
                  {p.data.peers.map((peer) => (
                    <tr key={String(peer.config.name)}>
                      <td>{String(peer.config.name)}</td>
                      <td class="mono">{String(peer.config.address)}</td>
                      <td class="num">{String(peer.config.asn)}</td>
                      <td>{(peer.config.families ?? []).join(', ')}</td>
                      <td>
                        <StateBadge state={peer.state} />
                      </td>
                      <td>{ago(peer.since)}</td>
                      <td class="small">{peer.info}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
