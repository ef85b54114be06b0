// User-Interactive Authentication (spec "User-interactive authentication API"), shared by every
// endpoint that needs the user to prove themselves again: device deletion, password change,
// deactivation, registration, and (E2EE) cross-signing key upload.
//
// Sessions live in memory: they last minutes, and a restart merely asks the client to start over.
import { MatrixError, errors } from '../http/errors.ts';
import type { Clock } from '../clock.ts';
import { randomToken } from '../ids.ts';

/** One stage type: checks the `auth` dict a client sent; returns a value kept as its result, or false. */
export type StageCheck = (auth: Record<string, unknown>, session: UiaSession) => Promise<unknown>;

export interface UiaSession {
  id: string;
  /** What the session authorises, e.g. "delete_devices"; a session never crosses actions. */
  action: string;
  /** The user doing it; null while registering. */
  userId: string | null;
  /** Completed stage type → the value its check returned (e.g. the registration token used). */
  completed: Map<string, unknown>;
  expiresAt: number;
}

export interface UiaRequest {
  action: string;
  userId: string | null;
  flows: string[][];
  params?: Record<string, unknown>;
  /** The request body's `auth` field, as sent. */
  auth: unknown;
}

/** The 401 answer that tells the client which stages remain. */
export class UiaChallenge extends MatrixError {
  readonly body: Record<string, unknown>;
  constructor(body: Record<string, unknown>, failure?: { errcode: string; error: string }) {
    super(401, failure?.errcode ?? 'M_UNAUTHORIZED', failure?.error ?? 'Additional authentication is required');
    this.body = failure ? { errcode: failure.errcode, error: failure.error, ...body } : body;
  }
  override toJSON(): Record<string, unknown> {
    return this.body;
  }
}

const SESSION_LIFETIME_MS = 15 * 60 * 1000;
// Unauthenticated /register calls open sessions too: bound how many are kept.
const MAX_SESSIONS = 10_000;

export class UiaService {
  private readonly sessions = new Map<string, UiaSession>();
  private readonly stages = new Map<string, StageCheck>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Teaches the service a stage type (m.login.password, m.login.dummy, ...). */
  registerStage(type: string, check: StageCheck): void {
    this.stages.set(type, check);
  }

  /**
   * Resolves with the completed session once some flow is done; otherwise throws a UiaChallenge
   * (401 with flows, params, session, completed) or a 400 for a malformed `auth`.
   */
  async authenticate(request: UiaRequest): Promise<UiaSession> {
    this.expire();
    const auth = request.auth;
    if (auth !== undefined && auth !== null && (typeof auth !== 'object' || Array.isArray(auth))) throw errors.badJson('auth must be an object');
    const dict = (auth ?? {}) as Record<string, unknown>;
    if (dict.session !== undefined && typeof dict.session !== 'string') throw errors.badJson('auth.session must be a string');
    if (dict.type !== undefined && typeof dict.type !== 'string') throw errors.badJson('auth.type must be a string');

    let session: UiaSession;
    if (typeof dict.session === 'string') {
      const found = this.sessions.get(dict.session);
      if (!found || found.action !== request.action || found.userId !== request.userId) {
        throw new MatrixError(400, 'M_UNKNOWN', 'Unknown or expired authentication session; start again without a session');
      }
      session = found;
    } else {
      session = this.newSession(request);
    }

    if (typeof dict.type === 'string') {
      const type = dict.type;
      if (!request.flows.some((flow) => flow.includes(type)) || !this.stages.has(type)) {
        throw this.challenge(session, request, { errcode: 'M_UNRECOGNIZED', error: `Authentication type ${type} is not offered here` });
      }
      let result: unknown;
      try {
        result = await this.stages.get(type)!(dict, session);
      } catch (err) {
        // A stage's refusal becomes a challenge with its errcode; rate limiting stays a 429.
        if (err instanceof MatrixError && !(err instanceof UiaChallenge) && err.status !== 429) {
          throw this.challenge(session, request, { errcode: err.errcode, error: err.message });
        }
        throw err;
      }
      if (result === false) throw this.challenge(session, request, { errcode: 'M_FORBIDDEN', error: 'Authentication failed' });
      session.completed.set(type, result);
    }

    if (request.flows.some((flow) => flow.every((stage) => session.completed.has(stage)))) {
      // One session authorises one request.
      this.sessions.delete(session.id);
      return session;
    }
    throw this.challenge(session, request);
  }

  private newSession(request: UiaRequest): UiaSession {
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const session: UiaSession = {
      id: randomToken(128),
      action: request.action,
      userId: request.userId,
      completed: new Map(),
      expiresAt: this.clock.now() + SESSION_LIFETIME_MS,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  private challenge(session: UiaSession, request: UiaRequest, failure?: { errcode: string; error: string }): UiaChallenge {
    return new UiaChallenge(
      {
        flows: request.flows.map((stages) => ({ stages })),
        params: request.params ?? {},
        session: session.id,
        ...(session.completed.size ? { completed: [...session.completed.keys()] } : {}),
      },
      failure,
    );
  }

  private expire(): void {
    const now = this.clock.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}
