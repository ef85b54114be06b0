// Matrix errors specific to accounts, login and registration.
import { MatrixError } from '../http/errors.ts';

export const accountErrors = {
  badLogin: () => new MatrixError(403, 'M_FORBIDDEN', 'Invalid username or password'),
  userDeactivated: () => new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated'),
  userInUse: () => new MatrixError(400, 'M_USER_IN_USE', 'That user ID is already taken'),
  invalidUsername: (why = 'Usernames may contain only a-z, 0-9 and . _ = - / +') => new MatrixError(400, 'M_INVALID_USERNAME', why),
  notAdmin: () => new MatrixError(403, 'M_FORBIDDEN', 'You are not a server admin'),
  userNotFound: () => new MatrixError(404, 'M_NOT_FOUND', 'User not found'),
  deviceNotFound: () => new MatrixError(404, 'M_NOT_FOUND', 'Device not found'),
  registrationClosed: () => new MatrixError(403, 'M_FORBIDDEN', 'Registration is disabled; ask the host for an account'),
  guestForbidden: () => new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is disabled'),
  weakPassword: (why: string) => new MatrixError(400, 'M_WEAK_PASSWORD', why),
  unknown: (msg: string) => new MatrixError(400, 'M_UNKNOWN', msg),
};

/** A host operation (CLI → admin socket or offline data dir) was refused; the CLI prints it as one line. */
export class HostOpError extends Error {
  readonly errcode: string;
  constructor(errcode: string, message: string) {
    super(message);
    this.errcode = errcode;
  }
}
