// gobgpd's GobgpApi calls Breakwater makes: AddPath and DeletePath on the global table, with the route as
// binary NLRI and path attributes (bgp-wire.ts). Field numbers are those of package apipb as gobgpd 3.10
// registers them (read from the descriptor compiled into /usr/bin/gobgpd):
//   AddPathRequest    { TableType table_type = 1; string vrf_id = 2; Path path = 3; }
//   DeletePathRequest { TableType table_type = 1; string vrf_id = 2; Family family = 3; Path path = 4; bytes uuid = 5; }
//   Path              { ...; bool is_withdraw = 5; Family family = 9; bytes nlri_binary = 20; repeated bytes pattrs_binary = 21; }
//   Family            { Afi afi = 1; Safi safi = 2; }          (AFI_IP 1, AFI_IP6 2; SAFI_UNICAST 1, SAFI_FLOW_SPEC_UNICAST 133)
//   TableType GLOBAL = 0
import type { DesiredBgpRoute } from '../speaker.js';
import { wirePath, type WirePath } from './bgp-wire.js';
import { GrpcClient } from './grpc-client.js';
import { ProtobufWriter } from './protobuf-writer.js';

function family(path: WirePath): ProtobufWriter {
  return new ProtobufWriter().varint(1, path.afi).varint(2, path.safi);
}

function pathMessage(path: WirePath, withdraw: boolean): ProtobufWriter {
  const p = new ProtobufWriter().bool(5, withdraw).message(9, family(path)).bytesField(20, path.nlri);
  for (const a of path.attributes) p.bytesField(21, a);
  return p;
}

export class GobgpApi {
  private readonly grpc: GrpcClient;

  constructor(port: number) {
    this.grpc = new GrpcClient(`127.0.0.1:${port}`, 'gobgp');
  }

  async addPath(route: DesiredBgpRoute): Promise<void> {
    const request = new ProtobufWriter().message(3, pathMessage(wirePath(route), false));
    await this.grpc.call('/apipb.GobgpApi/AddPath', request.finish());
  }

  async deletePath(route: DesiredBgpRoute): Promise<void> {
    const path = wirePath(route);
    const request = new ProtobufWriter().message(3, family(path)).message(4, pathMessage(path, true));
    await this.grpc.call('/apipb.GobgpApi/DeletePath', request.finish());
  }

  close(): void {
    this.grpc.close();
  }
}
