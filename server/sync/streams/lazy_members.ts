// Which member events each device has already been sent, per room, so lazy-loading incremental
// syncs send only members the client has not seen. Kept in memory: after a restart the worst case
// is a redundant member event, which clients accept.
const MAX_DEVICES = 2_000;

export class LazyMemberCache {
  private readonly devices = new Map<string, Map<string, Set<string>>>();

  private device(userId: string, deviceId: string): Map<string, Set<string>> {
    const key = `${userId}\u0000${deviceId}`;
    let rooms = this.devices.get(key);
    if (!rooms) {
      if (this.devices.size >= MAX_DEVICES) this.devices.delete(this.devices.keys().next().value!);
      rooms = new Map();
      this.devices.set(key, rooms);
    }
    return rooms;
  }

  reset(userId: string, deviceId: string): void {
    this.devices.delete(`${userId}\u0000${deviceId}`);
  }

  resetRoom(userId: string, deviceId: string, roomId: string): void {
    this.device(userId, deviceId).delete(roomId);
  }

  has(userId: string, deviceId: string, roomId: string, member: string): boolean {
    return this.device(userId, deviceId).get(roomId)?.has(member) ?? false;
  }

  add(userId: string, deviceId: string, roomId: string, member: string): void {
    const rooms = this.device(userId, deviceId);
    let set = rooms.get(roomId);
    if (!set) rooms.set(roomId, (set = new Set()));
    set.add(member);
  }
}
