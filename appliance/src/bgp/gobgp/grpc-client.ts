// A unary gRPC client over node:http2, enough to call gobgpd's GobgpApi on 127.0.0.1: one HTTP/2 session,
// each call a POST of one length-prefixed message, the status read from the grpc-status trailer. Calls are
// multiplexed on the session, so 1,000 AddPath calls cost 1,000 HTTP/2 streams on one TCP connection instead
// of 1,000 gobgp processes (~13 ms each). No dependency: gRPC's framing is five bytes.
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { BreakwaterError } from '../../errors.js';

export class GrpcClient {
  private session: ClientHttp2Session | undefined;

  constructor(private readonly authority: string, private readonly speaker: string) {}

  /** Calls /SERVICE/METHOD with an encoded request; resolves with the encoded response message. */
  call(path: string, request: Uint8Array, timeoutMs = 15_000): Promise<Uint8Array> {
    const session = this.connection();
    return new Promise((resolve, reject) => {
      const frame = Buffer.alloc(5 + request.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(request.length, 1);
      frame.set(request, 5);
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const timer = setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), timeoutMs);
      const readStatus = (headers: Record<string, unknown>): void => {
        if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
        if (headers['grpc-message'] !== undefined) message = decodeURIComponent(String(headers['grpc-message']));
      };
      stream.on('response', readStatus);
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => {
        clearTimeout(timer);
        reject(new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', [this.speaker, `gRPC ${path}: ${err.message}`], { cause: err }));
      });
      stream.on('close', () => {
        clearTimeout(timer);
        if (status === '0') {
          const body = Buffer.concat(chunks);
          resolve(body.length >= 5 ? body.subarray(5, 5 + body.readUInt32BE(1)) : new Uint8Array());
        } else if (status === undefined) {
          reject(new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', [this.speaker, `gRPC ${path}: no status (stream reset or timed out after ${timeoutMs} ms)`]));
        } else {
          // 14 UNAVAILABLE: gobgpd is shutting down or not started; anything else is a refusal of the request.
          const code = status === '14' ? 'BW_ERR_SPEAKER_UNAVAILABLE' : 'BW_ERR_SPEAKER_COMMAND';
          reject(
            code === 'BW_ERR_SPEAKER_UNAVAILABLE'
              ? new BreakwaterError(code, [this.speaker, `gRPC ${path}: ${message}`])
              : new BreakwaterError(code, [this.speaker, path, `gRPC status ${status}: ${message}`]),
          );
        }
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  private connection(): ClientHttp2Session {
    if (this.session !== undefined && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(`http://${this.authority}`);
    // Errors surface on the streams; a dead session is replaced on the next call.
    session.on('error', () => undefined);
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref();
    this.session = session;
    return session;
  }
}
