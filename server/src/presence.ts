import { keys } from '@ripple/shared';
import { loadLuaScript, type RedisClient } from '@ripple/shared/node';

const markOfflineScript = loadLuaScript(new URL('./lua/mark-offline.lua', import.meta.url));

/**
 * Who has a live socket, on any server node. Workers read it to publish timeline:new only for
 * followers who can see it; a user counts as online while any of their sockets is connected.
 */
export const presence = {
  async markOnline(redis: RedisClient, userId: string): Promise<void> {
    await redis.hIncrBy(keys.online, userId, 1);
  },
  async markOffline(redis: RedisClient, userId: string): Promise<void> {
    await markOfflineScript.run(redis, [keys.online], [userId]);
  },
};
