// Owns the one way typed parsers report a successful reply they cannot read: BIRDC_ERR_UNEXPECTED_REPLY
// carrying the reply, so a caller on another BIRD version can see exactly what came back.
import { BirdError } from '../errors.js';
import type { ReplyLine } from '../reply-parser.js';

export function unexpectedReply(what: string, reply: readonly ReplyLine[], command?: string): BirdError {
  return new BirdError('BIRDC_ERR_UNEXPECTED_REPLY', `cannot read ${what} from BIRD's reply`, { reply, command });
}
