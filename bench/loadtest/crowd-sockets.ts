import { fanoutDoneSchema, fanoutFailedSchema, timelineNewSchema } from '@ripple/shared';
import { mapWithLimit, type Member } from './crowd.js';
import type { RippleSocket } from './live-sockets.js';
import type { Clock } from './open-loop.js';
import type { PostingGroup } from './posting-groups.js';

/** Sockets opened at once while connecting the crowd. */
const CONNECT_CONCURRENCY = 16;

export interface CrowdSocketDeps {
  baseUrl: string;
  connect: (url: string, token: string) => Promise<RippleSocket>;
  clock: Clock;
  /** Author id → that author's group; everyone else is a follower. */
  groupOfAuthor: ReadonlyMap<string, PostingGroup>;
  /** Whether a disconnect now counts: not during setup, only once posting has begun. */
  countsDisconnects: () => boolean;
}

/**
 * The sockets of the crowd, each wired to the trackers: authors hear about their jobs,
 * followers about tweets reaching their timelines.
 */
export class CrowdSockets {
  readonly #deps: CrowdSocketDeps;
  readonly #sockets: RippleSocket[] = [];
  #disconnects = 0;

  constructor(deps: CrowdSocketDeps) {
    this.#deps = deps;
  }

  /** Socket disconnects since posting began: events may have been missed. */
  get disconnects(): number {
    return this.#disconnects;
  }

  /** Connects a socket for every member, a few at a time; throws naming the first failure. */
  async connectAll(members: readonly Member[]): Promise<void> {
    await mapWithLimit(members, CONNECT_CONCURRENCY, async (member) => {
      const socket = await this.#deps.connect(this.#deps.baseUrl, member.token);
      this.#sockets.push(socket);
      this.#listen(member, socket);
    }).catch((error: unknown) => {
      throw new Error(`connecting the crowd's sockets failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
  }

  /** Closes every socket opened so far. */
  disconnectAll(): void {
    for (const socket of this.#sockets) socket.disconnect();
  }

  #listen(member: Member, socket: RippleSocket): void {
    const { clock, groupOfAuthor } = this.#deps;
    const authorGroup = groupOfAuthor.get(member.id);
    if (authorGroup) {
      socket.on('fanout:done', (payload) => {
        const at = clock.now();
        const done = fanoutDoneSchema.safeParse(payload);
        if (done.success) authorGroup.tracker.fanoutDone(done.data.tweetId, at);
      });
      socket.on('fanout:failed', (payload) => {
        const failed = fanoutFailedSchema.safeParse(payload);
        if (failed.success) authorGroup.tracker.fanoutFailed(failed.data.tweetId);
      });
    } else {
      socket.on('timeline:new', (payload) => {
        const at = clock.now();
        const parsed = timelineNewSchema.safeParse(payload);
        if (!parsed.success) return;
        const { tweet } = parsed.data;
        groupOfAuthor.get(tweet.author.id)?.tracker.timelineNew(tweet.id, member.id, at);
      });
    }
    socket.on('disconnect', () => {
      if (this.#deps.countsDisconnects()) this.#disconnects += 1;
    });
  }
}
