// BGP peers: each configured router with the speaker's live session state (GET /peers, refreshed on `peers`
// events), and the peers' editor (admin; PUT /peers, validated with the whole configuration; the speaker reads
// its peers at start, so a change needs a restart). TCP-MD5 passwords are masked; left masked, they are kept.
import { useCallback } from 'preact/hooks';
import { StateBadge } from '../components/badges';
import { ConfigEditor } from '../components/config-editor';
import { ErrorBox, Loading } from '../components/error-box';
import { ago } from '../format';
import { useLiveEvent } from '../live';
import type { PeersResponse } from '../types';
import { useCan } from '../session';
import { useApi } from '../use-api';

export function PeersPage() {
  const admin = useCan('admin');
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
          <section class="card">
            <h2>Edit peers</h2>
            <p class="muted small">A list of peers (name, address, asn, families, md5Password…; see docs/configuration.md). Takes effect at the next restart.</p>
            <ConfigEditor name="peers" what="peers" admin={admin} value={p.data.peers.map((peer) => peer.config)} path="/peers" toBody={(doc) => ({ peers: doc ?? [] })} />
          </section>
        </>
      )}
    </section>
  );
}
