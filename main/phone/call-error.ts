/** The error a call request gets when it is refused for what was asked (phone/call.ts and the modules around it). */
import { AppelError, type ErrorCode } from '../contract/errors.ts';

/** A call request refused for what was asked (the caller's mistake), not for what SIP said. */
export class CallError extends AppelError {
  declare readonly code: Extract<ErrorCode, 'bad-request' | 'not-found' | 'wrong-state'>;
  constructor(code: CallError['code'], message: string) {
    super(code, message);
    this.name = 'CallError';
  }
}
